# message_bench: ESDK messages/s (1 KiB, 16 KiB) and MB/s (64 MiB) against bare
# libcrypto primitives measured in the same run.
add_executable(message_bench ${CMAKE_CURRENT_SOURCE_DIR}/message_bench.c)
target_link_libraries(message_bench PRIVATE dekcache_message)
# message_gcm_split_bench: per 4 KiB frame, GCM decryption against CTR on one
# core with the tag computed as a GMAC on a second core (an idea rejected in
# docs/benchmarks.md; the bench keeps the figures reproducible).
find_package(Threads REQUIRED)
add_executable(message_gcm_split_bench ${CMAKE_CURRENT_SOURCE_DIR}/message_gcm_split_bench.c)
target_link_libraries(message_gcm_split_bench PRIVATE OpenSSL::Crypto Threads::Threads)
