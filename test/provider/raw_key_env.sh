# Sourced by script tests: a temporary work folder, a random raw AES wrapping
# key and an openssl.cnf that loads default + dekcache with it; OPENSSL_CONF
# points there. The folder is removed on exit.
# Only the openssl binary gets the sanitizer runtime preloaded (it loads our
# instrumented module); coreutils would trip LeakSanitizer.
dekcache_openssl() { LD_PRELOAD=${DEKCACHE_PRELOAD:-} "${OPENSSL_PROGRAM:-openssl}" "$@"; }
openssl=dekcache_openssl
work=$(mktemp -d /tmp/dekcache-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/aes.key"
# write_cnf FILE [LINE...]: an openssl.cnf loading default and one dekcache
# instance whose section holds the given lines.
write_cnf() {
    local file=$1
    shift
    {
        printf '%s\n' 'openssl_conf = init' '[init]' 'providers = providers' '[providers]' \
            'default = default_sect' 'dekcache = dekcache_sect' '[default_sect]' 'activate = 1' \
            '[dekcache_sect]' "module = $DEKCACHE_MODULE_DIR/dekcache.so" 'activate = 1'
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$file"
}
write_cnf "$work/openssl.cnf" "raw_aes_key_file = $work/aes.key" \
    'raw_aes_key_namespace = script-test' 'raw_aes_key_name = key-1'
export OPENSSL_CONF="$work/openssl.cnf"
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
