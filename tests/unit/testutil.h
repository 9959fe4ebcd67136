/* testutil.h - temp directories and files for unit tests. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR; removed by tu_rmdir. */
char *tu_mkdtemp(void);
/* Write content to dir/name; returns the path (caller frees). */
char *tu_write(const char *dir, const char *name, const char *content);
void tu_rmdir(char *dir);
/* Write conf_text to dir/postern.conf, build its snapshot (failing the test
 * with the errors if it does not load) and make it the current one. */
void tu_install_config(const char *dir, const char *conf_text);
/* Drop the current snapshot and remove dir (a cmocka group teardown). */
int tu_uninstall_config(char *dir);

#endif
