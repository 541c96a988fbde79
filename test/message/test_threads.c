/* One CMM and keyring shared by several threads encrypting and decrypting at
 * once (keyrings and CMMs must allow concurrent calls; run under TSan). */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#include "cunit_run.h"
#include "message_test_util.h"

#define THREADS  4
#define MESSAGES 40

typedef struct {
    esdk_cmm *cmm;
    uint16_t suite;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    uint8_t pt[3000];
    for (int i = 0; i < MESSAGES; i++) {
        memset(pt, i, sizeof(pt));
        esdk_cmm *mine = esdk_cmm_up_ref(a->cmm); /* references from several threads */
        esdk_encrypt_options eo = {.cmm = mine, .suite_id = a->suite, .frame_len = 512};
        esdk_decrypt_options dopt = {.cmm = mine};
        uint8_t *ct = NULL, *back = NULL;
        size_t ct_len = 0, back_len = 0;
        if (esdk_encrypt_oneshot(&eo, pt, sizeof(pt), &ct, &ct_len, NULL, 0) != ESDK_OK ||
            esdk_decrypt_oneshot(&dopt, ct, ct_len, &back, &back_len, NULL, 0) != ESDK_OK ||
            back_len != sizeof(pt) || memcmp(back, pt, sizeof(pt)) != 0)
            a->failures++;
        OPENSSL_free(ct);
        OPENSSL_free(back);
        esdk_cmm_free(mine);
    }
    return NULL;
}

static void test_shared_cmm(void)
{
    esdk_cmm *cmm = test_aes_cmm("threads");
    pthread_t threads[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){cmm, t % 2 ? 0x0578 : 0x0478, 0};
        CU_ASSERT_FATAL(pthread_create(&threads[t], NULL, worker, &args[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        CU_ASSERT(args[t].failures == 0);
    }
    esdk_cmm_free(cmm);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"encrypt and decrypt on 4 threads with one CMM", test_shared_cmm}, {NULL, NULL}};
    dekcache_add_suite("message threads", NULL, NULL, tests);
    return dekcache_run_tests();
}
