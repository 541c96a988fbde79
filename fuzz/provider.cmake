if(TARGET dekcache_message)
dekcache_add_fuzzer(fuzz_provider_context_param
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_provider_context_param.c ${PROJECT_SOURCE_DIR}/provider/context_param.c
  LIBS dekcache_message)
target_include_directories(fuzz_provider_context_param PRIVATE ${PROJECT_SOURCE_DIR})
endif()

dekcache_add_fuzzer(fuzz_provider_config_list
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_provider_config_list.c ${PROJECT_SOURCE_DIR}/provider/config_list.c
  LIBS OpenSSL::Crypto)
target_include_directories(fuzz_provider_config_list PRIVATE ${PROJECT_SOURCE_DIR})
