/*
 * import.h - `postern import opendkim FILE`: an opendkim.conf (with its
 * KeyTable, SigningTable, InternalHosts and ExternalIgnoreList data sets)
 * turned into a postern.conf fragment.  What postern cannot express is
 * written as "# not imported:" comments, never dropped silently.
 * import.c; called by main.c; tests/fuzz/fuzz_import.c.
 */
#ifndef POSTERN_IMPORT_H
#define POSTERN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/util.h"

/* Reads a data set file named in the configuration into out (appending);
 * false when it cannot. */
typedef bool (*import_read_fn)(const char *path, strbuf *out, void *arg);

/* Convert opendkim.conf text (len bytes, NUL not needed) into postern.conf
 * text appended to out; referenced files are read through rd.  Returns
 * the number of "not imported" notes written. */
unsigned import_opendkim(const char *text, size_t len, import_read_fn rd, void *arg, strbuf *out);

/* postern import opendkim FILE: prints the fragment; exit status. */
int import_main(int argc, char **argv);

#endif
