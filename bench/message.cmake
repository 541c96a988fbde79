# message_bench: ESDK messages/s (1 KiB, 16 KiB) and MB/s (64 MiB) against bare
# libcrypto primitives measured in the same run.
add_executable(message_bench ${CMAKE_CURRENT_SOURCE_DIR}/message_bench.c)
target_link_libraries(message_bench PRIVATE dekcache_message)
