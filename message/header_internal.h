#ifndef DEKCACHE_MESSAGE_HEADER_INTERNAL_H
#define DEKCACHE_MESSAGE_HEADER_INTERNAL_H

/* Internal header helpers shared by encrypt and decrypt. */

#include "message/header.h"
#include "message/materials.h"

/* How far a truncated measurement got. The next measurement of the same bytes
 * plus more waits until the next field can be read, and resumes after the
 * last whole EDK: rescanning them all would make a 65535-EDK header that
 * arrives a byte at a time quadratic (minutes of CPU). Zero-initialise before
 * the first call. */
typedef struct {
    size_t need; /* bytes below which measuring again cannot progress */
    size_t pos;  /* offset just after the last whole EDK */
    size_t edks; /* EDKs before pos; 0 = start at the list */
} esdk_header_resume;

/* Total header length if `in` holds the whole header (ESDK_OK), or
 * ESDK_ERR_TRUNCATED while more bytes are needed, with *total_len = the length
 * below which measuring again cannot progress; checks limits and fixed values
 * but copies and validates no contents. `resume` must come from calls on
 * prefixes of the same header. */
esdk_status esdk_header_measure(const uint8_t *in, size_t len, const esdk_header_limits *limits,
                                esdk_header_resume *resume, size_t *total_len, char *detail,
                                size_t detail_len);

/* Serialises a v2 header body (through the commit key) into a fresh buffer
 * with 16 spare bytes at the end for the tag: *out_len is the body length. */
esdk_status esdk_header_write_v2(const esdk_enc_materials *mat, const uint8_t message_id[32],
                                 uint32_t frame_len, const uint8_t commit_key[32], uint8_t **out,
                                 size_t *out_len, char *detail, size_t detail_len);

#endif
