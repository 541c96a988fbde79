# -DDEKCACHE_SANITIZE=address,undefined or =thread instruments every target.
# DEKCACHE_PRELOAD is what an uninstrumented program (the openssl binary) needs
# in LD_PRELOAD to load our instrumented module; tests pass it on.
set(DEKCACHE_PRELOAD "")
if(DEKCACHE_SANITIZE)
  set(_san_flags -fsanitize=${DEKCACHE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_san_flags})
  add_link_options(${_san_flags})
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang" AND DEKCACHE_SANITIZE MATCHES "address")
    # One shared runtime, so the module works in executables we did not build
    # (the openssl binary). clang 14's shared TSan runtime crashes at start, so
    # TSan keeps the static runtime: it checks our own test programs only.
    add_compile_options(-shared-libsan)
    add_link_options(-shared-libsan)
    set(_rt libclang_rt.asan-x86_64.so)
  elseif(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    if(DEKCACHE_SANITIZE MATCHES "address")
      set(_rt libasan.so)
    elseif(DEKCACHE_SANITIZE MATCHES "thread")
      set(_rt libtsan.so)
    endif()
  endif()
  if(_rt)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=${_rt}
                    OUTPUT_VARIABLE DEKCACHE_PRELOAD OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(_rt_dir "${DEKCACHE_PRELOAD}" DIRECTORY)
    add_link_options(-Wl,-rpath,${_rt_dir})
  endif()
endif()
