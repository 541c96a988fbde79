# libFuzzer target for ESDK message decryption (header + body + footer).
if(TARGET dekcache_message)
  # The library's sources are compiled into the fuzzer itself so that they get
  # libFuzzer's coverage instrumentation (a linked static library would not).
  get_target_property(_message_sources dekcache_message SOURCES)
  list(TRANSFORM _message_sources PREPEND ${PROJECT_SOURCE_DIR}/message/)
  # libFuzzer's runtime needs libm, which nothing else here pulls in.
  dekcache_add_fuzzer(fuzz_message_decrypt
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_message_decrypt.c ${_message_sources}
    LIBS OpenSSL::Crypto Threads::Threads m
    SECONDS 20)
  target_include_directories(fuzz_message_decrypt PRIVATE ${PROJECT_SOURCE_DIR})
  # libFuzzer pulls libstdc++ in ahead of the shared sanitizer runtime, which
  # then refuses to start unless preloaded.
  if(DEKCACHE_PRELOAD)
    set_property(TEST fuzz_message_decrypt APPEND PROPERTY ENVIRONMENT
                 "LD_PRELOAD=${DEKCACHE_PRELOAD}")
  endif()
endif()
