# Sourced by script tests: a temporary work folder, a random raw AES wrapping
# key and an openssl.cnf that loads default + dekcache with it; OPENSSL_CONF
# points there. The folder is removed on exit.
# Only the openssl binary gets the sanitizer runtime preloaded (it loads our
# instrumented module); coreutils would trip LeakSanitizer.
# Its leak check is off: clang 14's LeakSanitizer crashes ("Tracer caught
# signal 11") scanning a bogus dynamic-TLS range in the uninstrumented
# openssl (pkeyutl -decrypt with a context, since the cache serves those).
# Leaks there are checked by valgrind_clean.sh in the regular build and
# in-process by the CUnit tests under ASan (same code paths).
dekcache_openssl() {
    LD_PRELOAD=${DEKCACHE_PRELOAD:-} ASAN_OPTIONS=${DEKCACHE_PRELOAD:+detect_leaks=0:abort_on_error=1} \
        "${OPENSSL_PROGRAM:-openssl}" "$@"
}
openssl=dekcache_openssl
work=$(mktemp -d /tmp/dekcache-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/aes.key"
# write_cnf [--inactive] FILE [LINE...]: an openssl.cnf loading default and
# one dekcache instance whose section holds the given lines. --inactive
# leaves out `activate = 1` (the instance is then loaded only by -provider,
# which reports a bad configuration value that activation would drop).
write_cnf() {
    local activate=('activate = 1')
    if [ "$1" = --inactive ]; then
        activate=()
        shift
    fi
    local file=$1
    shift
    {
        printf '%s\n' 'openssl_conf = init' '[init]' 'providers = providers' '[providers]' \
            'default = default_sect' 'dekcache = dekcache_sect' '[default_sect]' 'activate = 1' \
            '[dekcache_sect]' "module = $DEKCACHE_MODULE_DIR/dekcache.so" ${activate[@]+"${activate[@]}"}
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$file"
}
write_cnf "$work/openssl.cnf" "raw_aes_key_file = $work/aes.key" \
    'raw_aes_key_namespace = script-test' 'raw_aes_key_name = key-1'
export OPENSSL_CONF="$work/openssl.cnf"
# kms_stats: the local KMS server's /_control/stats document ($KMS_ENDPOINT).
# curl runs without OPENSSL_CONF: it must never load our module (in
# sanitizer builds that is an instrumented library in an uninstrumented
# program, and under valgrind_clean.sh it is not the process under test).
kms_stats() {
    env -u OPENSSL_CONF curl -sf --max-time 10 "$KMS_ENDPOINT/_control/stats"
}
# kms_calls OP: how many OP calls the local KMS server has answered.
kms_calls() {
    kms_stats | grep -o "\"$1\": *{ *\"calls\": *[0-9]*" | grep -o '[0-9]*$'
}
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# flip_byte FILE OFFSET: inverts every bit of one byte in place.
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\x$(printf %02x $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
