#!/usr/bin/env bash
# provider_enc_bench.sh [BUILD_DIR] [MIB] [RUNS]
#
# `openssl enc -dekcache -K ''` against `openssl enc -aes-256-ctr` on the same
# file (default 256 MiB of random bytes), encryption and decryption, best of
# RUNS (default 3) each, in one run: MB/s (10^6 bytes/s) and the ratio
# dekcache / aes-256-ctr (target >= 0.7). dekcache wraps its data key with
# dekcache-kms-local (started here on a free port, stopped by PID), so the
# figure includes one GenerateDataKey and one Decrypt over HTTP per file.
# Input files are read from the page cache (each is read once before timing)
# and output goes to /dev/null, so the disk does not set the pace.
# It also prints the ceiling: the ratio reachable if the provider added
# nothing but the cost of AES-256-GCM over AES-256-CTR (from `openssl speed`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build-pbench}" && pwd)
mib=${2:-256}
runs=${3:-3}
openssl=${OPENSSL_PROGRAM:-openssl}

export DEKCACHE_KMS_SERVER="$build/kms/server/dekcache-kms-local"
# shellcheck source=../test/kms/support/kms_server.sh
. "$root/test/kms/support/kms_server.sh"
work=$(mktemp -d /tmp/dekcache-enc-bench-XXXXXX)
kms_server_session

kms_server_use_default_credentials
cat >"$work/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
dekcache = dekcache_sect
[default_sect]
activate = 1
[dekcache_sect]
module = $build/provider/dekcache.so
activate = 1
kms_endpoint = $KMS_ENDPOINT
key_id = alias/dekcache-local
CNF
export OPENSSL_CONF="$work/openssl.cnf"

head -c $((mib * 1048576)) /dev/urandom >"$work/plain"
bytes=$((mib * 1048576))
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
iv=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

# best_seconds CMD...: the shortest wall time of `runs` runs of CMD.
best_seconds() {
    local best="" start end t
    for _ in $(seq 1 "$runs"); do
        start=$(date +%s.%N)
        "$@"
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

# OUT=file-or-/dev/null; each function reads its input file.
dek_enc() { "$openssl" enc -e -dekcache -K '' -in "$work/plain" -out "$OUT"; }
dek_dec() { "$openssl" enc -d -dekcache -K '' -in "$work/plain.dek" -out "$OUT"; }
ctr_enc() { "$openssl" enc -e -aes-256-ctr -K "$key" -iv "$iv" -in "$work/plain" -out "$OUT"; }
ctr_dec() { "$openssl" enc -d -aes-256-ctr -K "$key" -iv "$iv" -in "$work/plain.ctr" -out "$OUT"; }

# Untimed: the ciphertexts to decrypt, and a check that both round-trip.
OUT="$work/plain.dek" dek_enc
OUT="$work/plain.ctr" ctr_enc
OUT="$work/back" dek_dec
cmp -s "$work/plain" "$work/back" || { echo "dekcache round trip differs" >&2; exit 1; }
OUT="$work/back" ctr_dec
cmp -s "$work/plain" "$work/back" || { echo "aes-256-ctr round trip differs" >&2; exit 1; }
rm -f "$work/back"

OUT=/dev/null
t_dek_enc=$(best_seconds dek_enc)
t_ctr_enc=$(best_seconds ctr_enc)
t_dek_dec=$(best_seconds dek_dec)
t_ctr_dec=$(best_seconds ctr_dec)

# What AES-256-GCM itself costs over AES-256-CTR in this libcrypto on this
# CPU, per 4096-byte block with a fresh IV and tag each (one frame's work):
# bytes/s from `openssl speed`, best of `runs`. Adding that difference to the
# CTR run gives the ratio a provider with zero overhead of its own would reach.
speed_bps() { # speed_bps [-decrypt] CIPHER
    local best=0 k
    for _ in $(seq 1 "$runs"); do
        k=$(env -u OPENSSL_CONF "$openssl" speed -seconds 1 -bytes 4096 "$@" 2>/dev/null |
            tail -1 | awk '{print $2}' | tr -d k)
        if [ "$(echo "$k > $best" | bc -l)" = 1 ]; then best=$k; fi
    done
    echo "$best * 1000" | bc -l
}
ctr_bps=$(speed_bps -evp aes-256-ctr)
gcm_enc_bps=$(speed_bps -evp aes-256-gcm)
gcm_dec_bps=$(speed_bps -decrypt -evp aes-256-gcm)
# ceiling T_CTR GCM_BPS: T_CTR / (T_CTR + bytes * (1/GCM - 1/CTR))
ceiling() {
    local r
    r=$(echo "scale=12; $1 / ($1 + $bytes * (1 / $2 - 1 / $ctr_bps))" | bc -l)
    printf '%.3f' "$r"
}

mbs() { echo "scale=1; $bytes / $1 / 1000000" | bc -l; }
ratio() { echo "scale=3; $2 / $1" | bc -l; } # time ratio = speed ratio inverted
echo "provider_enc_bench: $mib MiB file, best of $runs, $(nproc) cores, $("$openssl" version | cut -d' ' -f1-2)"
printf 'encrypt  dekcache %8s MB/s   aes-256-ctr %8s MB/s   ratio %s\n' \
    "$(mbs "$t_dek_enc")" "$(mbs "$t_ctr_enc")" "$(ratio "$t_dek_enc" "$t_ctr_enc")"
printf 'decrypt  dekcache %8s MB/s   aes-256-ctr %8s MB/s   ratio %s\n' \
    "$(mbs "$t_dek_dec")" "$(mbs "$t_ctr_dec")" "$(ratio "$t_dek_dec" "$t_ctr_dec")"
printf 'libcrypto per 4096-byte block: aes-256-ctr %s MB/s, aes-256-gcm %s MB/s encrypt, %s MB/s decrypt\n' \
    "$(echo "scale=1; $ctr_bps / 1000000" | bc -l)" "$(echo "scale=1; $gcm_enc_bps / 1000000" | bc -l)" \
    "$(echo "scale=1; $gcm_dec_bps / 1000000" | bc -l)"
printf 'ceiling (GCM instead of CTR, nothing else added): encrypt %s, decrypt %s\n' \
    "$(ceiling "$t_ctr_enc" "$gcm_enc_bps")" "$(ceiling "$t_ctr_dec" "$gcm_dec_bps")"
echo "ciphertext overhead: $(($(stat -c %s "$work/plain.dek") - bytes)) bytes"
curl -s "$KMS_ENDPOINT/_control/stats" | grep -o '"GenerateDataKey": *{[^}]*}\|"Decrypt": *{[^}]*}' |
    tr '\n' ' ' | sed 's/^/KMS calls over all runs, untimed included: /'
echo
