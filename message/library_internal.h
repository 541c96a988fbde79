#ifndef DEKCACHE_MESSAGE_LIBRARY_INTERNAL_H
#define DEKCACHE_MESSAGE_LIBRARY_INTERNAL_H

/* Frees the process-wide objects of one part of the library; the next use
 * creates them again. Called by esdk_library_release only. */
void esdk_gcm_free_globals(void);
void esdk_kdf_free_globals(void);

#endif
