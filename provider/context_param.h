#ifndef DEKCACHE_PROVIDER_CONTEXT_PARAM_H
#define DEKCACHE_PROVIDER_CONTEXT_PARAM_H

#include <stddef.h>

#include "message/materials.h"

/* Parses the "encryption-context" parameter into pairs added to *ec.
 *
 * Encoding: pairs separated by ',', key and value by the first '='; '%XX'
 * (two hex digits) stands for any byte, so '%2C' is a comma, '%3D' an equals
 * sign and '%25' a percent sign. Example: "tenant=acme,purpose=backup%2Cdaily".
 * An empty string is an empty context. Keys must be unique and non-empty;
 * keys and values must be UTF-8 once decoded.
 * Returns 1, or 0 with a reason in detail (never the value itself). */
int dekcache_parse_context_param(const char *text, esdk_enc_context *ec, char *detail,
                                 size_t detail_len);

#endif
