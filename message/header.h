#ifndef DEKCACHE_MESSAGE_HEADER_H
#define DEKCACHE_MESSAGE_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "message/materials.h"
#include "message/status.h"
#include "message/suite.h"

#define ESDK_CONTENT_NON_FRAMED 1
#define ESDK_CONTENT_FRAMED     2
#define ESDK_MESSAGE_ID_MAX     32
#define ESDK_IV_LEN             12
#define ESDK_TAG_LEN            16
#define ESDK_COMMIT_KEY_LEN     32

/* A parsed (not yet authenticated) message header. */
typedef struct {
    uint8_t version; /* 1 or 2 */
    const esdk_suite *suite;
    uint8_t message_id[ESDK_MESSAGE_ID_MAX];
    size_t message_id_len; /* 16 (v1) or 32 (v2) */
    esdk_enc_context ec;   /* the stored EC pairs */
    esdk_edk_list edks;
    uint8_t content_type;                    /* ESDK_CONTENT_* */
    uint32_t frame_len;                      /* 0 when non-framed */
    uint8_t header_iv[ESDK_IV_LEN];          /* v1: stored IV; v2: zeros */
    uint8_t commit_key[ESDK_COMMIT_KEY_LEN]; /* v2 suite data */
    uint8_t auth_tag[ESDK_TAG_LEN];
    size_t body_len;  /* bytes from the version byte to the end of the header body */
    size_t total_len; /* body_len + the authentication part (v1: 28, v2: 16) */
} esdk_header;

/* Hostile-input limits applied while parsing. 0 in a field means its default. */
typedef struct {
    /* 0: only the format's own limit (65535), as in the official ESDKs, which
     * read any count unless the caller sets a maximum: our encrypt sets none,
     * so a default cap could refuse messages we wrote. Parsing stays linear
     * and within max_header_len plus about 150 bytes per EDK (10 MiB at
     * 65535), but keyrings try EDKs one by one: set a cap where each try may
     * cost a KMS call or an RSA decryption. */
    size_t max_edks;
    size_t max_header_len; /* default ESDK_DEFAULT_MAX_HEADER_LEN (whole header) */
    size_t max_ec_len;     /* serialised stored EC; default 65535 (the format's own limit) */
} esdk_header_limits;

#define ESDK_DEFAULT_MAX_HEADER_LEN (1024 * 1024)

/* Parses a header from the start of `in`. On success fills *out (clear it with
 * esdk_header_clear) and *consumed = out->total_len. ESDK_ERR_TRUNCATED means
 * `in` ends inside the header (call again with more bytes; nothing to clear);
 * every other failure is final. Enforces every fixed value of esdk-format.md
 * sections 2-3 and the limits, each with its own status. Parsing alone does not
 * authenticate anything: see esdk_decrypt_*. */
esdk_status esdk_header_parse(const uint8_t *in, size_t len, const esdk_header_limits *limits,
                              esdk_header *out, size_t *consumed, char *detail, size_t detail_len);
void esdk_header_clear(esdk_header *header);

#endif
