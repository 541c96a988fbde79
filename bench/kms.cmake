# kms_server_load: dekcache-kms-local under 32 concurrent keep-alive clients for
# 10 s (requests/s, p50/p99), against a 1-client run as the same-run baseline.
if(TARGET dekcache_kms_test_fixture)
  add_executable(kms_server_load ${CMAKE_CURRENT_SOURCE_DIR}/kms_server_load.c)
  target_link_libraries(kms_server_load PRIVATE dekcache_kms_test_fixture Threads::Threads)
endif()
