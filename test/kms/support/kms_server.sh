# Shell helper for script tests: source it, then
#   kms_server_session [server args...] # kms_server_start, stopped (and $work removed) on exit
#   kms_server_start [server args...]   # sets KMS_PID KMS_PORT KMS_ENDPOINT KMS_DIR
#   kms_server_stop                     # SIGTERM, SIGKILL after 10 s; returns its exit status
# The server binary is $DEKCACHE_KMS_SERVER (default: dekcache-kms-local on PATH).
# Every wait is bounded; the server is stopped by PID only.

kms_server_start() {
    KMS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kms-server-XXXXXX") || return 1
    "${DEKCACHE_KMS_SERVER:-dekcache-kms-local}" --port 0 --port-file "$KMS_DIR/port" "$@" \
        >"$KMS_DIR/stdout" 2>"$KMS_DIR/stderr" &
    KMS_PID=$!
    i=0
    while [ ! -s "$KMS_DIR/port" ]; do
        if ! kill -0 "$KMS_PID" 2>/dev/null; then
            echo "kms_server_start: server exited:" >&2
            cat "$KMS_DIR/stderr" >&2
            return 1
        fi
        i=$((i + 1))
        if [ "$i" -gt 3000 ]; then
            echo "kms_server_start: no port after 30 s" >&2
            kms_server_stop
            return 1
        fi
        sleep 0.01
    done
    KMS_PORT=$(cat "$KMS_DIR/port")
    KMS_ENDPOINT="http://127.0.0.1:$KMS_PORT"
    export KMS_PID KMS_PORT KMS_ENDPOINT KMS_DIR
}

# kms_server_stop [SIGNAL]: stops it with SIGNAL (default TERM), SIGKILL after
# 10 s; returns the server's exit status.
kms_server_stop() {
    [ -n "${KMS_PID:-}" ] || return 0
    kill -"${1:-TERM}" "$KMS_PID" 2>/dev/null
    i=0
    while kill -0 "$KMS_PID" 2>/dev/null && [ "$i" -lt 1000 ]; do
        sleep 0.01
        i=$((i + 1))
    done
    if kill -0 "$KMS_PID" 2>/dev/null; then
        echo "kms_server_stop: $KMS_PID ignored SIGTERM, killing" >&2
        kill -KILL "$KMS_PID" 2>/dev/null
    fi
    wait "$KMS_PID" 2>/dev/null
    rc=$?
    # Anything the server said besides its shutdown line; grep finding
    # nothing must not fail the caller (set -e).
    grep -v 'shutting down' "$KMS_DIR/stderr" >&2 || true
    rm -rf "$KMS_DIR"
    KMS_PID=
    return $rc
}

# kms_server_session [server args...]: kms_server_start under an EXIT trap
# that stops the server by PID and then removes $work, the calling script's
# temporary folder (when it has one). A shell has one EXIT trap, so this one
# replaces the caller's, which in the scripts using it only removed $work.
# Returns kms_server_start's status; the server is stopped on exit either way.
kms_server_session() {
    KMS_PID=
    # shellcheck disable=SC2154 # work is the sourcing script's
    trap 'kms_server_stop || true; [ -z "${work:-}" ] || rm -rf "$work"' EXIT
    kms_server_start "$@"
}

# Exports the public test credentials and region of a server started without
# --config (kms/README.md), for clients that read the AWS environment.
kms_server_use_default_credentials() {
    export AWS_ACCESS_KEY_ID=AKIDEKCACHELOCAL AWS_SECRET_ACCESS_KEY=dekcache-local-secret-access-key
    export AWS_REGION=us-east-1
    unset AWS_SESSION_TOKEN
}
