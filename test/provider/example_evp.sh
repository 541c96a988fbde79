#!/usr/bin/env bash
# The EVP example program (docs/examples/evp_envelope.c) against the local KMS
# server: 25 messages at cache_max_messages = 10 must round-trip with exactly
# 3 GenerateDataKey calls, as both the provider's stats and the server say.
set -euo pipefail
example=$1
export DEKCACHE_KMS_SERVER=$2
# shellcheck source=raw_key_env.sh
. "$(dirname "$0")/raw_key_env.sh"
# shellcheck source=../kms/support/kms_server.sh
. "$3"
kms_server_session
kms_server_use_default_credentials
# The endpoint comes from the environment, as the AWS SDKs read it.
export AWS_ENDPOINT_URL_KMS=$KMS_ENDPOINT
write_cnf "$work/kms.cnf" 'key_id = alias/dekcache-local' 'cache_max_messages = 10'
# The sanitizer runtime (when there is one) goes into the example only: it
# loads our instrumented module.
if ! OPENSSL_CONF="$work/kms.cnf" LD_PRELOAD=${DEKCACHE_PRELOAD:-} "$example" 25 >"$work/out" 2>"$work/err"; then
    bad "example failed: $(cat "$work/err")"
fi
cat "$work/out"
if grep -q '^25 messages encrypted and decrypted under arn:aws:kms:us-east-1:' "$work/out"; then
    ok; else bad "no round-trip line with the key ARN"; fi
if grep -q '"GenerateDataKey": 3,' "$work/out"; then ok; else bad "provider stats do not show 3 GenerateDataKey"; fi
generated=$(kms_calls GenerateDataKey) || generated=
if [ "$generated" = 3 ]; then
    ok; else bad "server saw ${generated:-an unknown number of} GenerateDataKey calls, not 3: $(kms_stats || true)"; fi
echo "example: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
