#!/usr/bin/env bash
# valgrind_clean.sh KMS_SERVER KMS_SERVER_SH EXAMPLE EVP_TEST...
#
# The provider is valgrind-clean: no memory errors, no leaks, no leaked
# threads and no leaked descriptors, in the real `openssl` binary and in a
# threaded EVP program, with real KMS calls over HTTP to dekcache-kms-local
# (KMS_SERVER, started here on 127.0.0.1 and stopped by PID with the helper
# KMS_SERVER_SH):
#   - `openssl enc -e` / `-d -dekcache -K ''` round-trips 100 KiB
#     (one GenerateDataKey, one Decrypt);
#   - `openssl pkeyutl -encrypt` / `-decrypt -inkey dekcache:...` once each;
#   - EXAMPLE, the EVP example program (docs/examples/evp_envelope.c: the
#     provider from openssl.cnf in the default library context), 25 messages;
#   - each EVP_TEST, a threaded CUnit program: provider_cipher_kms (16 threads
#     x 50 messages through the cache, 10 parallel decryptions, KMS failure
#     paths; it starts its own server) and provider_cipher_evp (raw key: round
#     trips, the signed suite, tampering, 16 threads through the cache).
# Each runs under memcheck with --error-exitcode=99; a run passes when its
# exit status is 0, every "ERROR SUMMARY" says 0 errors, no loss record of a
# thread (possibly lost memory allocated by pthread_create: a thread neither
# joined nor finished) appears, and no descriptor that the process opened
# itself is still open at exit. Valgrind 3.19 (Debian 12) only lists open
# descriptors (descriptor errors that count in ERROR SUMMARY and the exit
# status came with 3.24), so its "FILE DESCRIPTORS" list is parsed: only
# descriptors "<inherited from parent>" and the three standard ones may
# remain; a self-check first proves that the parser sees a descriptor leaked
# on purpose.
# No suppressions are needed (valgrind 3.19, OpenSSL 3.0, libcurl 7.88); the
# still-reachable blocks at exit are glibc's dlopen/TLS bookkeeping.
# Exit 77 (skipped) in sanitizer builds (DEKCACHE_SANITIZE set by CTest:
# valgrind cannot run sanitizer-instrumented code) and without valgrind.
set -euo pipefail
kms_server=$1
kms_server_sh=$2
example=$3
shift 3
evp_tests=("$@")

if [ -n "${DEKCACHE_SANITIZE:-}" ]; then
    echo "SKIP: sanitizer build (DEKCACHE_SANITIZE=$DEKCACHE_SANITIZE); valgrind cannot run instrumented code"
    exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed (scripts/install-deps installs it)"
    exit 77
fi

# shellcheck source=raw_key_env.sh
. "$(dirname "$0")/raw_key_env.sh"
export DEKCACHE_KMS_SERVER=$kms_server
# shellcheck source=../kms/support/kms_server.sh
. "$kms_server_sh"
openssl_bin=${OPENSSL_PROGRAM:-openssl}

vg_opts=(--leak-check=full "--errors-for-leak-kinds=definite,indirect" --error-exitcode=99
         --track-fds=yes --child-silent-after-fork=yes --num-callers=30 --gen-suppressions=all)

# leaked_fds LOG: the "Open ..." lines of descriptors still open at exit that
# the process opened itself (not inherited); fails if LOG has no FD summary.
leaked_fds() {
    grep -q 'FILE DESCRIPTORS: [0-9]* open' "$1" || { echo "no FILE DESCRIPTORS summary in $1"; return 1; }
    sed 's/^==[0-9]*== *//' "$1" | awk '
        pending != "" && NF > 0 { if ($0 !~ /^<inherited from parent>/) print pending; pending = "" }
        /^Open .*(descriptor|socket) [0-9]+/ { pending = $0 }
        END { if (pending != "") print pending }'
}

# summary_bytes LOG KIND: bytes of one LEAK SUMMARY line, summed over processes.
summary_bytes() {
    sed -n "s/.*$2: \([0-9,]*\) bytes.*/\1/p" "$1" | tr -d , | awk '{s += $1} END {print s + 0}'
}

# vg_run NAME CMD...: CMD under memcheck (log $work/NAME.vg, output
# $work/NAME.out), then every check above; prints one line of figures.
vg_run() {
    local name=$1 log="$work/$1.vg" rc=0 start end ms problems=()
    shift
    start=$(date +%s%N)
    timeout 150 valgrind "${vg_opts[@]}" --log-file="$log" "$@" >"$work/$name.out" 2>&1 || rc=$?
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    [ "$rc" -eq 0 ] || problems+=("exit status $rc$([ "$rc" -eq 99 ] && echo ' (valgrind found errors)')")
    grep -q 'ERROR SUMMARY: 0 errors' "$log" || problems+=("no 'ERROR SUMMARY: 0 errors'")
    ! grep -q 'ERROR SUMMARY: [1-9]' "$log" || problems+=("$(grep 'ERROR SUMMARY' "$log" | head -1)")
    if sed 's/^==[0-9]*== *//' "$log" | awk '/are possibly lost in loss record/ {r = 1; next}
            /^$/ {r = 0} r && /pthread_create/ {found = 1} END {exit !found}'; then
        problems+=("a thread was neither joined nor finished (possibly lost from pthread_create)")
    fi
    local fds
    fds=$(leaked_fds "$log") || problems+=("$fds")
    [ -z "$fds" ] || problems+=("descriptors left open: $(echo "$fds" | tr '\n' ';')")
    printf '%s: %d.%03d s, exit %d, %s, definitely lost %d B, indirectly lost %d B, possibly lost %d B, still reachable %d B, %s\n' \
        "$name" $((ms / 1000)) $((ms % 1000)) "$rc" \
        "$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log" | sed 's/ERROR SUMMARY: //' | head -1)" \
        "$(summary_bytes "$log" 'definitely lost')" "$(summary_bytes "$log" 'indirectly lost')" \
        "$(summary_bytes "$log" 'possibly lost')" "$(summary_bytes "$log" 'still reachable')" \
        "$(grep -o 'FILE DESCRIPTORS: [0-9]* open ([0-9]* std)' "$log" | head -1 | sed 's/FILE DESCRIPTORS: /fds at exit: /')"
    if [ ${#problems[@]} -eq 0 ]; then
        ok
        return 0
    fi
    bad "$name under valgrind: $(printf '%s; ' "${problems[@]}")"
    echo "--- output of $name:"
    head -c 4000 "$work/$name.out"
    echo "--- valgrind log of $name:"
    head -n 400 "$log"
    return 1
}

# The descriptor check must see a leak: a shell that leaves fd 7 open.
head -c 102400 /dev/urandom >"$work/plain"
timeout 60 valgrind --track-fds=yes --log-file="$work/fd_selfcheck.vg" \
    sh -c 'exec 7<"$1"' sh "$work/plain" || true
if fds=$(leaked_fds "$work/fd_selfcheck.vg") && grep -q 'descriptor 7' <<<"$fds"; then ok; else
    bad "descriptor check did not see fd 7 left open on purpose: $fds"
    cat "$work/fd_selfcheck.vg"
fi

kms_server_session
kms_server_use_default_credentials
write_cnf "$work/kms.cnf" "kms_endpoint = $KMS_ENDPOINT" "key_id = alias/dekcache-local"
export OPENSSL_CONF="$work/kms.cnf"
echo "local KMS server pid $KMS_PID at $KMS_ENDPOINT; $(valgrind --version)"

# expect_calls OP BEFORE WHAT: OP was called at least once since BEFORE.
expect_calls() {
    local now
    now=$(kms_calls "$1") || now=
    if [ -n "$now" ] && [ "$now" -gt "$2" ]; then ok; else bad "$3 made no $1 call (before $2, now ${now:-?})"; fi
}

gdk=$(kms_calls GenerateDataKey)
dec=$(kms_calls Decrypt)
vg_run enc_encrypt "$openssl_bin" enc -e -dekcache -K '' -in "$work/plain" -out "$work/ct" || true
expect_calls GenerateDataKey "$gdk" "openssl enc -e"
vg_run enc_decrypt "$openssl_bin" enc -d -dekcache -K '' -in "$work/ct" -out "$work/back" || true
expect_calls Decrypt "$dec" "openssl enc -d"
if cmp -s "$work/plain" "$work/back"; then ok; else bad "openssl enc round trip differs"; fi

gdk=$(kms_calls GenerateDataKey)
dec=$(kms_calls Decrypt)
rm -f "$work/back"
vg_run pkeyutl_encrypt "$openssl_bin" pkeyutl -encrypt -inkey 'dekcache:alias/dekcache-local?purpose=valgrind' \
    -in "$work/plain" -out "$work/pct" || true
expect_calls GenerateDataKey "$gdk" "openssl pkeyutl -encrypt"
vg_run pkeyutl_decrypt "$openssl_bin" pkeyutl -decrypt -inkey 'dekcache:?purpose=valgrind' \
    -in "$work/pct" -out "$work/back" || true
expect_calls Decrypt "$dec" "openssl pkeyutl -decrypt"
if cmp -s "$work/plain" "$work/back"; then ok; else bad "openssl pkeyutl round trip differs"; fi

# The example program: an application that only knows openssl.cnf.
gdk=$(kms_calls GenerateDataKey)
vg_run example_evp "$example" 25 || true
expect_calls GenerateDataKey "$gdk" "the EVP example"
if grep -q '^25 messages encrypted and decrypted under arn:' "$work/example_evp.out"; then ok; else
    bad "the EVP example did not round-trip 25 messages: $(cat "$work/example_evp.out")"
fi

# Threads: up to 16 threads through one provider instance.
for evp_test in "${evp_tests[@]}"; do
    vg_run "$(basename "$evp_test")" "$evp_test" || true
done

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
