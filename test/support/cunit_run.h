#ifndef DEKCACHE_TEST_CUNIT_RUN_H
#define DEKCACHE_TEST_CUNIT_RUN_H

#include <CUnit/CUnit.h>

/* One suite's tests: a NULL-terminated table. */
typedef struct {
    const char *name;
    CU_TestFunc func;
} dekcache_test_case;

/* Registers a suite with its tests; aborts the program if CUnit cannot. */
void dekcache_add_suite(const char *suite_name, CU_InitializeFunc init, CU_CleanupFunc cleanup,
                        const dekcache_test_case *tests);

/* Runs every registered suite verbosely, prints CUnit's summary and returns
 * the process exit status: 0 only if every assertion passed. */
int dekcache_run_tests(void);

/* Path of a file under ../shared (DEKCACHE_SHARED_DIR); static buffer. */
const char *dekcache_shared_path(const char *relative);

#endif
