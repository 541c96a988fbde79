# Hit-path throughput of the DEK cache against a bare mutex + hash baseline.
add_executable(cache_bench ${CMAKE_CURRENT_SOURCE_DIR}/cache_bench.c)
target_link_libraries(cache_bench PRIVATE dekcache_cache Threads::Threads)
