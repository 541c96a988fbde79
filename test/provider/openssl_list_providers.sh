#!/usr/bin/env bash
# The real openssl binary loads dekcache.so and reports it active with our
# version, both from the command line and from an openssl.cnf (the example).
set -euo pipefail
expected_version=$1
dekcache_openssl() { LD_PRELOAD=${DEKCACHE_PRELOAD:-} "${OPENSSL_PROGRAM:-openssl}" "$@"; }
openssl=dekcache_openssl

check() {
    local what=$1 out=$2
    grep -q '^  dekcache$' <<<"$out" || { echo "FAIL ($what): dekcache not listed"; echo "$out"; exit 1; }
    awk '/^  dekcache$/{f=1} f&&/status:/{print; exit}' <<<"$out" | grep -q 'status: active' ||
        { echo "FAIL ($what): dekcache not active"; echo "$out"; exit 1; }
    awk '/^  dekcache$/{f=1} f&&/version:/{print; exit}' <<<"$out" | grep -q "version: $expected_version\$" ||
        { echo "FAIL ($what): version is not $expected_version"; echo "$out"; exit 1; }
    echo "ok: $what"
}

out=$("$openssl" list -providers -verbose -provider-path "$DEKCACHE_MODULE_DIR" -provider dekcache -provider default)
check "command line" "$out"

out=$(OPENSSL_MODULES="$DEKCACHE_MODULE_DIR" OPENSSL_CONF="$DEKCACHE_SOURCE_DIR/openssl.cnf.example" \
      "$openssl" list -providers -verbose)
check "openssl.cnf.example" "$out"
grep -q '^  default$' <<<"$out" || { echo "FAIL: default provider not loaded by the example"; exit 1; }
