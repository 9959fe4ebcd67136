/*
 * quickack.h - immediate ACKs on inet milter connections (quickack.c):
 * libmilter's read() and accept() are interposed so TCP_QUICKACK is set
 * after each read on an accepted inet connection.  Only for the libmilter
 * version it was measured with.
 */
#ifndef POSTERN_QUICKACK_H
#define POSTERN_QUICKACK_H

#include <stdbool.h>

/* Whether libmilter's smfi_version() is the one the interposition is for. */
bool quickack_gate(unsigned major, unsigned minor, unsigned patch);
/* Turn it on (before the milter threads start); false when the gate is
 * shut or the real functions cannot be found. */
bool quickack_enable(unsigned major, unsigned minor, unsigned patch);
/* How many times TCP_QUICKACK was set (for the test and the metrics). */
unsigned long quickack_count(void);

#endif
