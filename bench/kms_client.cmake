# kms_client_bench: KMS client calls/s and p50/p99 against dekcache-kms-local,
# with connection reuse and, as the same-run baseline, without.
if(TARGET dekcache_kms_client AND TARGET dekcache_kms_test_fixture)
  add_executable(kms_client_bench ${CMAKE_CURRENT_SOURCE_DIR}/kms_client_bench.c)
  target_link_libraries(kms_client_bench PRIVATE dekcache_kms_client dekcache_kms_test_fixture
                        Threads::Threads)
endif()
