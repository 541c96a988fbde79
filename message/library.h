#ifndef DEKCACHE_MESSAGE_LIBRARY_H
#define DEKCACHE_MESSAGE_LIBRARY_H

/* For the default library context the library keeps a few process-wide
 * libcrypto objects (message/crypto.h: fetched AES-GCM ciphers, HMAC
 * templates), created on first use. A program that links the
 * library statically may ignore this. Code that can be unloaded (the
 * provider module) calls retain when loaded and release when unloaded: the
 * last release frees those objects, which would otherwise leak with the
 * module. No call may be in progress during the last release. */
void esdk_library_retain(void);
void esdk_library_release(void);

#endif
