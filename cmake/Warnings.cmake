# Warning flags for every target in the project.
add_compile_options(-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter)
if(DEKCACHE_WERROR)
  add_compile_options(-Werror)
endif()
# POSIX and GNU interfaces (pthreads, clock_gettime, fork, getrandom) under strict C11.
add_compile_definitions(_GNU_SOURCE)
