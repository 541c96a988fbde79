# libFuzzer target for ESDK message decryption (header + body + footer). The
# library gets coverage instrumentation from the top-level fuzzer-no-link flag.
if(TARGET dekcache_message)
  dekcache_add_fuzzer(fuzz_message_decrypt
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_message_decrypt.c
    LIBS dekcache_message
    SECONDS 20)
endif()

if(TARGET dekcache_message)
  dekcache_add_fuzzer(fuzz_message_rsa_private_key
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_message_rsa_private_key.c
    LIBS dekcache_message)
endif()

if(TARGET dekcache_message)
  dekcache_add_fuzzer(fuzz_message_raw_rsa_unwrap
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_message_raw_rsa_unwrap.c
    LIBS dekcache_message)
endif()
