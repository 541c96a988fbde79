# The KMS client's parsers: response bodies, and the AWS shared files.
if(TARGET dekcache_kms_client)
  dekcache_add_fuzzer(fuzz_kms_client_response SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_kms_client_response.c
                      LIBS dekcache_kms_client)
  dekcache_add_fuzzer(fuzz_kms_shared_profile SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_kms_shared_profile.c
                      LIBS dekcache_kms_client)
endif()
