#!/bin/sh
# A real AWS client against dekcache-kms-local with SigV4 on: the AWS CLI
# generates a data key, decrypts it, and is refused with a wrong secret.
# Usage: awscli_test.sh SERVER_BINARY KMS_SERVER_SH. Exit 77 = skipped.
set -u
DEKCACHE_KMS_SERVER=$1
export DEKCACHE_KMS_SERVER
. "$2"

if ! command -v aws >/dev/null 2>&1; then
    echo "SKIP: the aws command is not installed (Debian: apt-get install -y awscli)"
    exit 77
fi
if ! aws --version >/dev/null 2>&1; then
    echo "SKIP: the aws command is installed but does not run: $(aws --version 2>&1 | head -1)"
    exit 77
fi

# The EXIT trap of kms_server_session stops the server.
fail() {
    echo "FAIL: $*"
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/kms-awscli-XXXXXX")
kms_server_session || fail "server did not start"
# Isolate the CLI from any user configuration.
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials"
export AWS_ACCESS_KEY_ID=AKIDEKCACHELOCAL
export AWS_SECRET_ACCESS_KEY=dekcache-local-secret-access-key
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL 2>/dev/null || true
arn="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

aws kms generate-data-key --endpoint-url "$KMS_ENDPOINT" --key-id alias/dekcache-local \
    --key-spec AES_256 --encryption-context app=awscli --output text \
    --query '[KeyId,Plaintext,CiphertextBlob]' --cli-read-timeout 30 >"$work/gdk" 2>"$work/err" \
    || fail "generate-data-key: $(cat "$work/err")"
read -r key_id plaintext blob <"$work/gdk"
[ "$key_id" = "$arn" ] || fail "KeyId is '$key_id', want $arn"
[ "$(printf %s "$plaintext" | base64 -d | wc -c)" -eq 32 ] || fail "plaintext is not 32 bytes"
printf %s "$blob" | base64 -d >"$work/blob.bin" || fail "CiphertextBlob is not base64"

aws kms decrypt --endpoint-url "$KMS_ENDPOINT" --ciphertext-blob "fileb://$work/blob.bin" \
    --encryption-context app=awscli --output text --query '[KeyId,Plaintext]' \
    >"$work/dec" 2>"$work/err" || fail "decrypt: $(cat "$work/err")"
read -r dec_key dec_plain <"$work/dec"
[ "$dec_key" = "$arn" ] || fail "decrypt KeyId is '$dec_key'"
[ "$dec_plain" = "$plaintext" ] || fail "decrypted key differs from the generated one"

if AWS_SECRET_ACCESS_KEY=wrong-secret aws kms decrypt --endpoint-url "$KMS_ENDPOINT" \
    --ciphertext-blob "fileb://$work/blob.bin" --encryption-context app=awscli \
    >"$work/out" 2>"$work/err"; then
    fail "a wrong secret was accepted"
fi
grep -q InvalidSignatureException "$work/err" || fail "wrong secret: $(cat "$work/err")"

if aws kms decrypt --endpoint-url "$KMS_ENDPOINT" --ciphertext-blob "fileb://$work/blob.bin" \
    --encryption-context app=other >"$work/out" 2>"$work/err"; then
    fail "a wrong encryption context was accepted"
fi
grep -q InvalidCiphertextException "$work/err" || fail "wrong context: $(cat "$work/err")"

kms_server_stop || fail "server did not shut down cleanly"
echo "PASS: aws $(aws --version 2>&1 | cut -d' ' -f1) generate-data-key/decrypt; wrong secret and context rejected"
