#!/bin/sh
# dekcache-kms-local's command line, config errors and the shell helper.
# Usage: cli_test.sh SERVER_BINARY KMS_SERVER_SH CONFIG_JSON
set -u
server=$1
DEKCACHE_KMS_SERVER=$server
export DEKCACHE_KMS_SERVER
. "$2"
config=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/kms-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT

# Once a server runs, the EXIT trap of kms_server_session stops it.
fail() {
    echo "FAIL: $*"
    exit 1
}

"$server" --help | grep -q -- '--port-file' || fail "--help does not describe --port-file"
# Cases that must be refused run under a timeout: a server that wrongly
# accepted one would otherwise keep listening.
timeout 10 "$server" --port 70000 >/dev/null 2>&1 && fail "port 70000 accepted"
timeout 10 "$server" --bogus >/dev/null 2>&1 && fail "unknown option accepted"

echo '{"keys": [{"id": "k1"}]}' >"$work/noseed.json"
timeout 10 "$server" --config "$work/noseed.json" --port 0 >/dev/null 2>"$work/err" && fail "keyless config accepted"
grep -q "no material" "$work/err" || fail "no clear error for a key without material: $(cat "$work/err")"
echo '{"keys": [' >"$work/broken.json"
timeout 10 "$server" --config "$work/broken.json" --port 0 >/dev/null 2>"$work/err"
[ $? -eq 2 ] || fail "broken config does not exit 2"
timeout 10 "$server" --config "$work/missing.json" --port 0 >/dev/null 2>"$work/err" && fail "missing config accepted"

kms_server_session --config "$config" || fail "server did not start with $config"
case $KMS_PORT in '' | *[!0-9]*) fail "port file holds '$KMS_PORT'" ;; esac
grep -q "listening on http://127.0.0.1:$KMS_PORT" "$KMS_DIR/stdout" || fail "stdout does not print the port"
# Bound to loopback only, answering the control API.
if command -v curl >/dev/null 2>&1; then
    curl -sf --max-time 10 "$KMS_ENDPOINT/_control/health" | grep -q ok || fail "health check failed"
fi
kms_server_stop || fail "SIGTERM did not shut the server down cleanly"

# SIGINT also shuts down cleanly.
kms_server_start || fail "server did not start with defaults"
rc=0
kms_server_stop INT || rc=$?
[ $rc -eq 0 ] || fail "SIGINT exit status $rc"
echo "PASS"
