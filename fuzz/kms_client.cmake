# The KMS client's parsers: response bodies, and the AWS shared files.
if(TARGET dekcache_kms_client)
  dekcache_add_fuzzer(fuzz_kms_client_response SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_kms_client_response.c
                      LIBS dekcache_kms_client m)
  dekcache_add_fuzzer(fuzz_kms_shared_profile SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_kms_shared_profile.c
                      LIBS dekcache_kms_client)
  # libFuzzer pulls libstdc++ in ahead of the shared sanitizer runtime, which
  # then refuses to start unless preloaded.
  if(DEKCACHE_PRELOAD)
    set_property(TEST fuzz_kms_client_response fuzz_kms_shared_profile APPEND PROPERTY
                 ENVIRONMENT "LD_PRELOAD=${DEKCACHE_PRELOAD}")
  endif()
endif()
