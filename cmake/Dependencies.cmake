find_package(OpenSSL 3.0 REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
if(DEKCACHE_BUILD_TESTS)
  pkg_check_modules(CUNIT REQUIRED IMPORTED_TARGET cunit)
endif()

# Where `cmake --install` puts dekcache.so: OpenSSL's own modules directory.
pkg_get_variable(_libcrypto_modulesdir libcrypto modulesdir)
if(NOT _libcrypto_modulesdir)
  get_filename_component(_crypto_dir "${OPENSSL_CRYPTO_LIBRARY}" DIRECTORY)
  set(_libcrypto_modulesdir "${_crypto_dir}/ossl-modules")
endif()
set(DEKCACHE_MODULESDIR "${_libcrypto_modulesdir}" CACHE PATH "Install directory of dekcache.so")

find_program(OPENSSL_PROGRAM openssl REQUIRED)
