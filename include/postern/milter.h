/*
 * milter.h - the libmilter callback table (filter/milter.c).
 * Only main.c and milter.c include libmilter headers.
 */
#ifndef POSTERN_MILTER_H
#define POSTERN_MILTER_H

struct smfiDesc;

/* The filter description handed to smfi_register(). */
struct smfiDesc *milter_desc(void);

/* After smfi_main(): refuse new sessions and wait up to timeout_ms for
 * the running ones to close; returns how many still run. */
unsigned milter_drain(unsigned timeout_ms);

#endif
