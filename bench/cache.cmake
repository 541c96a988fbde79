# Hit-path throughput of the DEK cache against a bare mutex + hash baseline.
add_executable(cache_bench ${CMAKE_CURRENT_SOURCE_DIR}/cache_bench.c)
target_link_libraries(cache_bench PRIVATE dekcache_cache Threads::Threads)

# Wall time of a burst beyond the per-key message limit, in simulated KMS round trips.
add_executable(cache_burst_bench ${CMAKE_CURRENT_SOURCE_DIR}/cache_burst_bench.c)
target_link_libraries(cache_burst_bench PRIVATE dekcache_cache Threads::Threads)
