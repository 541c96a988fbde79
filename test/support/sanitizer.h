/* Which sanitizer a test program is built with, for the few tests that
 * cannot run under one (cancellation inside interceptors, leaks that a
 * cancelled thread leaves on purpose). Header only, like start_gate.h. */
#ifndef DEKCACHE_TEST_SANITIZER_H
#define DEKCACHE_TEST_SANITIZER_H

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define UNDER_SANITIZER (UNDER_TSAN || UNDER_ASAN)

#endif
