# dekcache_add_cunit_test(NAME SOURCES ... [LIBS ...] [THREADS] [TIMEOUT s])
#   A CUnit executable registered with CTest. THREADS labels it "threads": those
#   suites are repeated under ThreadSanitizer; all suites run under ASan+UBSan.
# dekcache_add_script_test(NAME COMMAND ... [THREADS] [TIMEOUT s])
#   Any other CTest test (shell scripts driving the openssl binary, servers).
# Every test gets DEKCACHE_SHARED_DIR (../shared), DEKCACHE_BUILD_DIR, the
# module directory, OPENSSL_PROGRAM, DEKCACHE_SANITIZE (the sanitizers this
# build instruments with; empty in a plain build) and NO_PROXY for 127.0.0.1
# in its environment.
set(DEKCACHE_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" CACHE PATH "Shared specs and vectors")

function(_dekcache_test_properties name threads timeout)
  set(labels unit)
  if(threads)
    list(APPEND labels threads)
  endif()
  if(NOT timeout)
    set(timeout 600)
  endif()
  set(env
      "DEKCACHE_SHARED_DIR=${DEKCACHE_SHARED_DIR}"
      "DEKCACHE_BUILD_DIR=${PROJECT_BINARY_DIR}"
      "DEKCACHE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      "DEKCACHE_MODULE_DIR=${PROJECT_BINARY_DIR}/provider"
      "DEKCACHE_PRELOAD=${DEKCACHE_PRELOAD}"
      "DEKCACHE_SANITIZE=${DEKCACHE_SANITIZE}"
      "OPENSSL_PROGRAM=${OPENSSL_PROGRAM}"
      "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
      "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
      "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1"
      # The local servers are on 127.0.0.1: never through a proxy the host sets.
      "NO_PROXY=127.0.0.1,localhost"
      "no_proxy=127.0.0.1,localhost")
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout} ENVIRONMENT "${env}")
endfunction()

function(dekcache_add_cunit_test name)
  cmake_parse_arguments(T "THREADS" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/test/support/cunit_run.c)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/test/support)
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CUNIT Threads::Threads)
  add_test(NAME ${name} COMMAND ${name})
  _dekcache_test_properties(${name} "${T_THREADS}" "${T_TIMEOUT}")
endfunction()

function(dekcache_add_script_test name)
  cmake_parse_arguments(T "THREADS" "TIMEOUT" "COMMAND" ${ARGN})
  add_test(NAME ${name} COMMAND ${T_COMMAND})
  _dekcache_test_properties(${name} "${T_THREADS}" "${T_TIMEOUT}")
endfunction()
