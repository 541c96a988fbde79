#ifndef DEKCACHE_MESSAGE_LIBRARY_INTERNAL_H
#define DEKCACHE_MESSAGE_LIBRARY_INTERNAL_H

/* Frees the default library context's fetched algorithms (message/crypto.h);
 * the next use fetches them again. Called by esdk_library_release only. */
void esdk_crypto_free_default(void);

#endif
