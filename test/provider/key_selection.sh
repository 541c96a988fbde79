#!/usr/bin/env bash
# Choosing a wrapping key on the command line without editing the
# configuration: two provider instances of the same module, each with its
# own key, selected with -propquery provider=<section name>; and
# DEKCACHE_KEY_ID for a named key.
set -euo pipefail
. "$(dirname "$0")/raw_key_env.sh"

head -c 32 /dev/urandom >"$work/b.key"
cat >"$work/two.cnf" <<CNF
openssl_conf = init
[init]
providers = providers
[providers]
default = default_sect
dek_a = dek_a_sect
dek_b = dek_b_sect
[default_sect]
activate = 1
[dek_a_sect]
module = $DEKCACHE_MODULE_DIR/dekcache.so
activate = 1
raw_aes_key_file = $work/aes.key
raw_aes_key_name = key-a
[dek_b_sect]
module = $DEKCACHE_MODULE_DIR/dekcache.so
activate = 1
raw_aes_key_file = $work/b.key
raw_aes_key_name = key-b
CNF
export OPENSSL_CONF="$work/two.cnf"
head -c 5000 /dev/urandom >"$work/plain"
"$openssl" enc -e -dekcache -K '' -propquery provider=dek_b -in "$work/plain" -out "$work/ct_b"
if grep -q key-b "$work/ct_b" && ! grep -q key-a "$work/ct_b"; then ok; else bad "-propquery provider=dek_b did not use key-b"; fi
if "$openssl" enc -d -dekcache -K '' -propquery provider=dek_b -in "$work/ct_b" | cmp -s - "$work/plain"; then
    ok; else bad "dek_b did not decrypt its own message"; fi
if "$openssl" enc -d -dekcache -K '' -propquery provider=dek_a -in "$work/ct_b" -out "$work/x" 2>"$work/err"; then
    bad "dek_a decrypted a message under key-b"
elif grep -q 'no configured key can decrypt' "$work/err"; then ok; else bad "wrong-key error unclear: $(cat "$work/err")"; fi
"$openssl" enc -e -dekcache -K '' -propquery provider=dek_a -in "$work/plain" -out "$work/ct_a"
if grep -q key-a "$work/ct_a"; then ok; else bad "-propquery provider=dek_a did not use key-a"; fi

# DEKCACHE_KEY_ID names the key for encryption; an unknown name fails clearly.
if DEKCACHE_KEY_ID=key-a "$openssl" enc -e -dekcache -K '' -propquery provider=dek_a -in "$work/plain" -out "$work/ct_env" &&
    grep -q key-a "$work/ct_env"; then ok; else bad "DEKCACHE_KEY_ID=key-a"; fi
# An instance with no key at all says so instead of crashing or guessing.
write_cnf "$work/nokey.cnf"
for mode in -e -d; do
    if OPENSSL_CONF="$work/nokey.cnf" "$openssl" enc $mode -dekcache -K '' -in "$work/ct_b" -out "$work/x" 2>"$work/err"; then
        bad "enc $mode without any key succeeded"
    elif grep -q 'no wrapping key configured' "$work/err"; then ok; else bad "enc $mode without a key: $(cat "$work/err")"; fi
done
echo "key selection: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
