#include <openssl/crypto.h>
#include <string.h>

#include "message/header.h"
#include "message/header_internal.h"
#include "message/wire.h"

/* One pass over the header. With out == NULL it only measures and checks the
 * structure and limits (cheap enough to repeat as bytes trickle in); with out
 * it also copies the EC and EDKs. */
typedef struct {
    esdk_reader r;
    const esdk_header_limits *limits;
    esdk_header *out;
    esdk_header_resume *resume; /* measuring only; may be NULL */
    size_t need;                /* on truncation: the length that would let the scan go further */
    char *detail;
    size_t detail_len;
} scan_state;

#define FAIL(s, code, ...) esdk_fail((s)->detail, (s)->detail_len, code, __VA_ARGS__)

/* Takes n bytes, or reports truncation / an over-limit header. */
static esdk_status take(scan_state *s, size_t n, const uint8_t **p)
{
    size_t max = s->limits->max_header_len;
    if (s->r.pos + n > max || s->r.pos + n < s->r.pos)
        return FAIL(s, ESDK_ERR_HEADER_TOO_LARGE, "header exceeds %zu bytes", max);
    *p = esdk_take(&s->r, n);
    if (*p == NULL)
        s->need = s->r.pos + n;
    return *p ? ESDK_OK : ESDK_ERR_TRUNCATED;
}

static esdk_status scan_prefix(scan_state *s, uint8_t *version, const esdk_suite **suite)
{
    const uint8_t *p = NULL;
    esdk_status st = take(s, 1, &p);
    if (st != ESDK_OK)
        return st;
    *version = p[0];
    if (*version != 1 && *version != 2)
        return FAIL(s, ESDK_ERR_BAD_VERSION, "unknown message format version 0x%02x", p[0]);
    if (*version == 1 && (st = take(s, 1, &p)) != ESDK_OK)
        return st;
    if (*version == 1 && p[0] != 0x80)
        return FAIL(s, ESDK_ERR_BAD_VERSION, "unknown message type 0x%02x", p[0]);
    if ((st = take(s, 2, &p)) != ESDK_OK)
        return st;
    uint16_t id = esdk_get_u16(p);
    *suite = esdk_suite_by_id(id);
    if (*suite == NULL || (*suite)->format_version != *version)
        return FAIL(s, ESDK_ERR_UNSUPPORTED_SUITE, "suite 0x%04x not valid in format version %u",
                    id, *version);
    return ESDK_OK;
}

static esdk_status scan_context(scan_state *s)
{
    const uint8_t *p = NULL;
    esdk_status st = take(s, 2, &p);
    if (st != ESDK_OK)
        return st;
    size_t len = esdk_get_u16(p);
    size_t max = s->limits->max_ec_len;
    if (len > max)
        return FAIL(s, ESDK_ERR_CONTEXT_TOO_LARGE, "encryption context of %zu bytes exceeds %zu",
                    len, max);
    if ((st = take(s, len, &p)) != ESDK_OK)
        return st;
    if (s->out == NULL)
        return ESDK_OK;
    return esdk_ec_parse(&s->out->ec, p, len, s->detail, s->detail_len);
}

static esdk_status scan_edk(scan_state *s, size_t index)
{
    const uint8_t *field[3];
    size_t field_len[3];
    for (int f = 0; f < 3; f++) {
        const uint8_t *p = NULL;
        esdk_status st = take(s, 2, &p);
        if (st != ESDK_OK)
            return st;
        field_len[f] = esdk_get_u16(p);
        if ((st = take(s, field_len[f], &field[f])) != ESDK_OK)
            return st;
    }
    /* Measuring skips content checks: it may run once per arriving piece. */
    if (s->out == NULL)
        return ESDK_OK;
    if (!esdk_utf8_valid(field[0], field_len[0]))
        return FAIL(s, ESDK_ERR_BAD_EDK, "EDK %zu: provider ID is not UTF-8", index);
    return esdk_edk_list_add(&s->out->edks, field[0], field_len[0], field[1], field_len[1],
                             field[2], field_len[2]);
}

static esdk_status scan_edks(scan_state *s)
{
    const uint8_t *p = NULL;
    esdk_status st = take(s, 2, &p);
    if (st != ESDK_OK)
        return st;
    size_t count = esdk_get_u16(p);
    if (count == 0)
        return FAIL(s, ESDK_ERR_BAD_EDK, "header has no encrypted data key");
    if (count > s->limits->max_edks)
        return FAIL(s, ESDK_ERR_TOO_MANY_EDKS, "%zu encrypted data keys exceed the limit of %zu",
                    count, s->limits->max_edks);
    size_t i = 0;
    if (s->resume != NULL && s->resume->edks > 0) {
        s->r.pos = s->resume->pos;
        i = s->resume->edks;
    }
    for (; i < count && st == ESDK_OK; i++) {
        st = scan_edk(s, i);
        if (st == ESDK_OK && s->resume != NULL) {
            s->resume->pos = s->r.pos;
            s->resume->edks = i + 1;
        }
    }
    return st;
}

/* Content type through the end of the header body, for either version. */
static esdk_status scan_body_tail(scan_state *s, uint8_t version, const esdk_suite *suite)
{
    const uint8_t *p = NULL;
    size_t len = version == 1 ? 1 + 4 + 1 + 4 : 1 + 4 + ESDK_COMMIT_KEY_LEN;
    esdk_status st = take(s, len, &p);
    if (st != ESDK_OK)
        return st;
    uint8_t content_type = p[0];
    uint32_t frame_len = esdk_get_u32(p + len - (version == 1 ? 4 : 4 + ESDK_COMMIT_KEY_LEN));
    if (content_type != ESDK_CONTENT_FRAMED && content_type != ESDK_CONTENT_NON_FRAMED)
        return FAIL(s, ESDK_ERR_BAD_HEADER, "unknown content type 0x%02x", content_type);
    if (version == 1 && esdk_get_u32(p + 1) != 0)
        return FAIL(s, ESDK_ERR_BAD_HEADER, "reserved header field is not zero");
    if (version == 1 && p[5] != ESDK_IV_LEN)
        return FAIL(s, ESDK_ERR_BAD_HEADER, "IV length %u is not 12", p[5]);
    if ((content_type == ESDK_CONTENT_FRAMED) != (frame_len != 0))
        return FAIL(s, ESDK_ERR_BAD_HEADER, "frame length %u invalid for content type %u",
                    frame_len, content_type);
    if (s->out != NULL) {
        s->out->content_type = content_type;
        s->out->frame_len = frame_len;
        if (version == 2)
            memcpy(s->out->commit_key, p + 5, ESDK_COMMIT_KEY_LEN);
    }
    (void)suite;
    return ESDK_OK;
}

static esdk_status scan_auth(scan_state *s, uint8_t version)
{
    const uint8_t *p = NULL;
    size_t len = version == 1 ? ESDK_IV_LEN + ESDK_TAG_LEN : ESDK_TAG_LEN;
    esdk_status st = take(s, len, &p);
    if (st != ESDK_OK || s->out == NULL)
        return st;
    if (version == 1)
        memcpy(s->out->header_iv, p, ESDK_IV_LEN);
    memcpy(s->out->auth_tag, p + len - ESDK_TAG_LEN, ESDK_TAG_LEN);
    return ESDK_OK;
}

static esdk_status scan(scan_state *s)
{
    uint8_t version = 0;
    const esdk_suite *suite = NULL;
    const uint8_t *id = NULL;
    esdk_status st = scan_prefix(s, &version, &suite);
    size_t id_len = version == 1 ? 16 : 32;
    if (st == ESDK_OK)
        st = take(s, id_len, &id);
    if (st == ESDK_OK && s->out != NULL) {
        s->out->version = version;
        s->out->suite = suite;
        s->out->message_id_len = id_len;
        memcpy(s->out->message_id, id, id_len);
    }
    if (st == ESDK_OK)
        st = scan_context(s);
    if (st == ESDK_OK)
        st = scan_edks(s);
    if (st == ESDK_OK)
        st = scan_body_tail(s, version, suite);
    size_t body_len = s->r.pos;
    if (st == ESDK_OK)
        st = scan_auth(s, version);
    if (st == ESDK_OK && s->out != NULL) {
        s->out->body_len = body_len;
        s->out->total_len = s->r.pos;
    }
    return st;
}

static esdk_header_limits effective_limits(const esdk_header_limits *limits)
{
    esdk_header_limits l = limits ? *limits : (esdk_header_limits){0, 0, 0};
    if (l.max_edks == 0 || l.max_edks > 0xFFFF)
        l.max_edks = 0xFFFF;
    if (l.max_header_len == 0)
        l.max_header_len = ESDK_DEFAULT_MAX_HEADER_LEN;
    if (l.max_ec_len == 0 || l.max_ec_len > 0xFFFF)
        l.max_ec_len = 0xFFFF;
    return l;
}

esdk_status esdk_header_measure(const uint8_t *in, size_t len, const esdk_header_limits *limits,
                                esdk_header_resume *resume, size_t *total_len, char *detail,
                                size_t detail_len)
{
    /* Pieces may be tiny: measure again only once the next field can be read. */
    if (len < resume->need) {
        *total_len = resume->need;
        return ESDK_ERR_TRUNCATED;
    }
    esdk_header_limits l = effective_limits(limits);
    scan_state s = {{in, len, 0}, &l, NULL, resume, 0, detail, detail_len};
    esdk_status st = scan(&s);
    *total_len = st == ESDK_OK ? s.r.pos : st == ESDK_ERR_TRUNCATED ? s.need : 0;
    if (st == ESDK_ERR_TRUNCATED)
        resume->need = s.need;
    return st;
}

esdk_status esdk_header_parse(const uint8_t *in, size_t len, const esdk_header_limits *limits,
                              esdk_header *out, size_t *consumed, char *detail, size_t detail_len)
{
    esdk_header_limits l = effective_limits(limits);
    memset(out, 0, sizeof(*out));
    *consumed = 0;
    scan_state s = {{in, len, 0}, &l, out, NULL, 0, detail, detail_len};
    esdk_status st = scan(&s);
    if (st != ESDK_OK) {
        esdk_header_clear(out);
        return st;
    }
    *consumed = out->total_len;
    return ESDK_OK;
}

void esdk_header_clear(esdk_header *header)
{
    esdk_ec_clear(&header->ec);
    esdk_edk_list_clear(&header->edks);
    memset(header, 0, sizeof(*header));
}
