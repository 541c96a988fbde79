# The KMS client's response-body parsers.
if(TARGET dekcache_kms_client)
  dekcache_add_fuzzer(fuzz_kms_client_response SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_kms_client_response.c
                      LIBS dekcache_kms_client m)
  # libFuzzer pulls libstdc++ in ahead of the shared sanitizer runtime, which
  # then refuses to start unless preloaded.
  if(DEKCACHE_PRELOAD)
    set_property(TEST fuzz_kms_client_response APPEND PROPERTY ENVIRONMENT "LD_PRELOAD=${DEKCACHE_PRELOAD}")
  endif()
endif()
