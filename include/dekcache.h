/*
 * dekcache — public header for applications using the dekcache OpenSSL provider.
 *
 * Parameter names for EVP_CIPHER_CTX_set_params / EVP_EncryptInit_ex2 and the
 * reason codes the provider puts on the OpenSSL error queue
 * (ERR_GET_REASON(ERR_peek_last_error())).
 */
#ifndef DEKCACHE_H
#define DEKCACHE_H

#define DEKCACHE_PROVIDER_NAME "dekcache"
#define DEKCACHE_CIPHER_NAME   "DEKCACHE"

/* Provider parameter (OSSL_PROVIDER_get_params, UTF-8 string into a buffer of
 * at least 1024 bytes): a JSON document of the instance's counters, e.g.
 * {"cache": {"hits": 9, "misses": 1, "coalesced_waits": 0, "bypasses": 0, ...,
 *  "entries": 1, "evictions": {"lru": 0, "ttl": 0, "exhausted": 0, ...}},
 *  "kms": {"calls": {"GenerateDataKey": 1, ...}, "failures": {...}, "retries": 0}} */
#define DEKCACHE_PROV_PARAM_STATS "stats"

/* Cipher context parameters (settable). */
#define DEKCACHE_PARAM_KEY_ID             "key-id"             /* UTF-8: key ARN, id or alias */
#define DEKCACHE_PARAM_ENCRYPTION_CONTEXT "encryption-context" /* UTF-8, see docs */
#define DEKCACHE_PARAM_PLAINTEXT_LENGTH   "plaintext-length"   /* uint64 */
#define DEKCACHE_PARAM_ALGORITHM_SUITE    "algorithm-suite"    /* uint: 0x0478 or 0x0578 */
#define DEKCACHE_PARAM_FRAME_LENGTH       "frame-length"       /* uint: 1 to 16777216 */
/* Cipher context parameters (gettable after init / after the header). */
#define DEKCACHE_PARAM_KEY_ARN    "key-arn"    /* UTF-8 */
#define DEKCACHE_PARAM_MESSAGE_ID "message-id" /* octet string */

/* Key reference parameter (EVP_PKEY from the store, "dekcache:<key-id>";
 * settable with EVP_PKEY_set_int_param): 1 drops every data key cached by
 * this provider instance that the reference's KMS key wraps, for encryption
 * and decryption, and cleanses it. For an application that rotated or
 * disabled the key: otherwise cached data keys serve until cache_max_age or
 * their use limits. An alias is resolved with DescribeKey; a raw key is
 * refused (DEKCACHE_R_UNSUPPORTED). The count shows in stats as
 * cache.evictions.invalidated. */
#define DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE "invalidate-cache"

/* Reason codes of the dekcache provider. */
#define DEKCACHE_R_INTERNAL_ERROR        1
#define DEKCACHE_R_BAD_CONFIGURATION     2
#define DEKCACHE_R_MALLOC_FAILURE        3
#define DEKCACHE_R_INVALID_PARAMETER     4
#define DEKCACHE_R_KMS_ERROR             5
#define DEKCACHE_R_CACHE_ERROR           6
#define DEKCACHE_R_MESSAGE_MALFORMED     7
#define DEKCACHE_R_AUTHENTICATION_FAILED 8
#define DEKCACHE_R_KEY_NOT_ALLOWED       9
#define DEKCACHE_R_LENGTH_MISMATCH       10
#define DEKCACHE_R_OUTPUT_TOO_LARGE      11
#define DEKCACHE_R_UNSUPPORTED           12
#define DEKCACHE_R_NO_KEY_CONFIGURED     13
#define DEKCACHE_R_NO_DECRYPTION_KEY     14

#endif
