#!/usr/bin/env bash
# Interoperability with the official AWS Encryption SDK for JavaScript
# (@aws-crypto/client-node, versions pinned by package-lock.json here): our
# messages decrypt there, its messages decrypt with `openssl enc -d` and
# `openssl pkeyutl -decrypt`, for the KMS keyring (dekcache-kms-local) and the
# raw AES keyring. The npm packages are installed with `npm ci` into the build
# tree once. Exit 77 (CTest SKIP_RETURN_CODE) with the reason printed when
# node/npm is missing or too old, or the npm registry cannot be reached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skip_code=77
skip() {
    echo "SKIP: $*"
    exit "$skip_code"
}

command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/install-deps installs it)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed (scripts/install-deps installs it)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
# The pinned AWS SDK for JavaScript v3 packages declare engines node >= 20.
[ "$node_major" -ge 20 ] || skip "node $(node --version) is older than 20, which the pinned packages need"

# --- npm packages: installed once per build tree, from the committed lock ---
node_dir="${DEKCACHE_BUILD_DIR:?}/interop-node"
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
install_packages() {
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp "$here/package.json" "$here/package-lock.json" "$node_dir/"
    local ping_out ping_rc=0
    ping_out=$(cd "$node_dir" && timeout 60 npm ping --fetch-retries=1 --fetch-timeout=20000 2>&1) || ping_rc=$?
    if [ "$ping_rc" -eq 124 ]; then
        skip "the npm registry is unreachable: npm ping had no answer within 60 s"
    elif [ "$ping_rc" -ne 0 ]; then
        skip "the npm registry is unreachable: $(echo "$ping_out" | grep -E 'error (code|FetchError)' | tr '\n' ' ')"
    fi
    echo "installing the pinned npm packages into $node_dir (npm ci)"
    if ! (cd "$node_dir" && timeout 240 npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1); then
        echo "FAIL: npm ci failed:"
        tail -20 "$node_dir/npm-ci.log"
        exit 1
    fi
    echo "$lock_sum" >"$node_dir/installed.sha256"
}
if [ "$(cat "$node_dir/installed.sha256" 2>/dev/null)" != "$lock_sum" ]; then
    install_packages
fi

# --- the local KMS server and one openssl.cnf per keyring and suite ---
work=$(mktemp -d /tmp/dekcache-interop-XXXXXX)
export DEKCACHE_KMS_SERVER="$DEKCACHE_BUILD_DIR/kms/server/dekcache-kms-local"
# shellcheck source-path=SCRIPTDIR source=../kms/support/kms_server.sh
. "$DEKCACHE_SOURCE_DIR/test/kms/support/kms_server.sh"
# shellcheck disable=SC2119
kms_server_session

kms_server_use_default_credentials
head -c 32 /dev/urandom >"$work/aes.key"
write_conf() { # name, keyring settings...
    local name=$1
    shift
    {
        printf '%s\n' "openssl_conf = init" "[init]" "providers = providers" "[providers]" \
            "default = default_sect" "dekcache = dekcache_sect" "[default_sect]" "activate = 1" \
            "[dekcache_sect]" "module = $DEKCACHE_MODULE_DIR/dekcache.so" "activate = 1"
        printf '%s\n' "$@"
    } >"$work/$name.cnf"
}
kms_conf=("kms_endpoint = $KMS_ENDPOINT" "region = us-east-1" "key_id = alias/dekcache-local")
aes_conf=("raw_aes_key_file = $work/aes.key" "raw_aes_key_namespace = dekcache-interop"
    "raw_aes_key_name = aes-256-key-1")
write_conf kms-0478 "${kms_conf[@]}"
write_conf kms-0578 "${kms_conf[@]}" "algorithm_suite = 0x0578"
write_conf aes-0478 "${aes_conf[@]}"
write_conf aes-0578 "${aes_conf[@]}" "algorithm_suite = 0x0578"

# LD_PRELOAD (sanitizer runtimes) is for the openssl children only, not node.
export INTEROP_WORK="$work" INTEROP_OPENSSL="${OPENSSL_PROGRAM:-openssl}"
export INTEROP_PRELOAD="${DEKCACHE_PRELOAD:-}" INTEROP_KMS_ENDPOINT="$KMS_ENDPOINT"
export INTEROP_AES_NAMESPACE=dekcache-interop INTEROP_AES_NAME=aes-256-key-1
NODE_PATH="$node_dir/node_modules" timeout 180 node "$here/esdk_js_interop.js"
