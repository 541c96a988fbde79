# dekcache-kms-local's parsers of untrusted bytes: the Authorization header
# (kms/sigv4), ciphertext blobs, and request JSON (operations and fault rules).
if(TARGET dekcache_kms_server_core)
  foreach(target IN ITEMS fuzz_kms_authorization fuzz_kms_blob fuzz_kms_request)
    dekcache_add_fuzzer(${target} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${target}.c
                        LIBS dekcache_kms_server_core)
  endforeach()
endif()
