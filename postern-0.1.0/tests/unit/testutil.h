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

#endif
