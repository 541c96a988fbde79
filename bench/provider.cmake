# provider_evp_bench: 1 KiB DEKCACHE encryptions/decryptions/s through EVP on a
# warm cache (KMS: dekcache-kms-local over HTTP), against bare AES-256-GCM in
# the same run, and KMS calls per 10,000 messages. Needs the test fixtures.
if(TARGET dekcache AND TARGET dekcache_provider_fixture AND TARGET dekcache_kms_test_fixture)
  add_executable(provider_evp_bench ${CMAKE_CURRENT_SOURCE_DIR}/provider_evp_bench.c)
  target_link_libraries(provider_evp_bench PRIVATE dekcache_provider_fixture
                        dekcache_kms_test_fixture Threads::Threads)
  target_compile_definitions(provider_evp_bench PRIVATE
                             DEKCACHE_BENCH_MODULE_DIR="$<TARGET_FILE_DIR:dekcache>")
  add_dependencies(provider_evp_bench dekcache dekcache-kms-local)
endif()
