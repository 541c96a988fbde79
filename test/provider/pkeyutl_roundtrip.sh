#!/usr/bin/env bash
# `openssl pkeyutl -encrypt/-decrypt -inkey dekcache:...` envelope-encrypts
# whole files: exact output sizes, encryption context from the URI or
# -pkeyopt, the signed suite, and clear failures on tampering.
set -euo pipefail
. "$(dirname "$0")/raw_key_env.sh"

roundtrip() { # size, extra encrypt args...
    local size=$1
    shift
    head -c "$size" /dev/urandom >"$work/plain"
    if "$openssl" pkeyutl -encrypt -inkey "dekcache:" "$@" -in "$work/plain" -out "$work/ct" &&
        "$openssl" pkeyutl -decrypt -inkey "dekcache:" -in "$work/ct" -out "$work/back" &&
        cmp -s "$work/plain" "$work/back"; then ok; else bad "pkeyutl round trip of $size bytes $*"; fi
}
for size in 1 4095 4096 4097 100000 20971520; do
    roundtrip "$size"
done
roundtrip 50000 -pkeyopt algorithm-suite:0x0578
roundtrip 50000 -pkeyopt frame-length:65536

# The context from -pkeyopt is stored in the header and bound to the message.
head -c 1000 /dev/urandom >"$work/plain"
"$openssl" pkeyutl -encrypt -inkey "dekcache:?tenant=acme" -in "$work/plain" -out "$work/ct"
if grep -q tenant "$work/ct" && grep -q acme "$work/ct"; then ok; else bad "URI context not in the header"; fi
"$openssl" pkeyutl -encrypt -inkey dekcache: -pkeyopt encryption-context:team=blue \
    -in "$work/plain" -out "$work/ct2"
if grep -q blue "$work/ct2"; then ok; else bad "-pkeyopt context not in the header"; fi
if "$openssl" pkeyutl -decrypt -inkey "dekcache:?team=red" -in "$work/ct2" -out "$work/back" 2>"$work/err"; then
    bad "a different reproduced context decrypted"
elif grep -q 'authentication failed' "$work/err"; then ok; else bad "context mismatch error unclear: $(cat "$work/err")"; fi

# Exact size: what the size query promised is what was written (the file holds
# nothing else), and the message length matches the format's formula.
head -c 8193 /dev/urandom >"$work/plain"
"$openssl" pkeyutl -encrypt -inkey dekcache: -in "$work/plain" -out "$work/ct"
size=$(stat -c %s "$work/ct")
header_and_final=$((size - 2 * (4096 + 32) - 1))
if [ "$header_and_final" -gt 40 ] && [ "$header_and_final" -lt 1000 ]; then ok; else bad "size $size not header + 2 frames + final frame"; fi

len=$(stat -c %s "$work/ct")
flip_byte "$work/ct" $((len / 2))
if "$openssl" pkeyutl -decrypt -inkey dekcache: -in "$work/ct" -out "$work/back" 2>"$work/err"; then
    bad "tampered message decrypted"
elif grep -q 'authentication failed' "$work/err" && [ ! -s "$work/back" ]; then ok; else bad "tampering: unclear error or plaintext written"; fi
head -c 100 "$work/ct2" >"$work/short"
if "$openssl" pkeyutl -decrypt -inkey dekcache: -in "$work/short" -out "$work/back" 2>"$work/err"; then
    bad "truncated message decrypted"
elif grep -q 'malformed or truncated' "$work/err"; then ok; else bad "truncation error unclear: $(cat "$work/err")"; fi

echo "pkeyutl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
