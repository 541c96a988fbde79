#include "cunit_run.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

static void ensure_registry(void)
{
    if (CU_get_registry() == NULL && CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: cannot initialise registry\n");
        exit(2);
    }
}

void dekcache_add_suite(const char *suite_name, CU_InitializeFunc init, CU_CleanupFunc cleanup,
                        const dekcache_test_case *tests)
{
    ensure_registry();
    CU_pSuite suite = CU_add_suite(suite_name, init, cleanup);
    if (suite == NULL) {
        fprintf(stderr, "CUnit: cannot add suite %s\n", suite_name);
        exit(2);
    }
    for (const dekcache_test_case *t = tests; t->name != NULL; t++) {
        if (CU_add_test(suite, t->name, t->func) == NULL) {
            fprintf(stderr, "CUnit: cannot add test %s\n", t->name);
            exit(2);
        }
    }
}

int dekcache_run_tests(void)
{
    ensure_registry();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed()
                      + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "CUnit: no test ran\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

const char *dekcache_shared_path(const char *relative)
{
    static char path[4096];
    const char *dir = getenv("DEKCACHE_SHARED_DIR");
    snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "../shared", relative);
    return path;
}
