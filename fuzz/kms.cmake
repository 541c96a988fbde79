# dekcache-kms-local's parsers of untrusted bytes: the Authorization header
# (kms/sigv4), ciphertext blobs, and request JSON (operations and fault rules).
if(TARGET dekcache_kms_server_core)
  foreach(target IN ITEMS fuzz_kms_authorization fuzz_kms_blob fuzz_kms_request)
    dekcache_add_fuzzer(${target} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${target}.c
                        LIBS dekcache_kms_server_core m)
    # libFuzzer pulls libstdc++ in ahead of the shared sanitizer runtime, which
    # then refuses to start unless preloaded.
    if(DEKCACHE_PRELOAD)
      set_property(TEST ${target} APPEND PROPERTY ENVIRONMENT "LD_PRELOAD=${DEKCACHE_PRELOAD}")
    endif()
  endforeach()
endif()
