/*
 * milter.h - the libmilter callback table (filter/milter.c).
 * Only main.c and milter.c include libmilter headers.
 */
#ifndef POSTERN_MILTER_H
#define POSTERN_MILTER_H

struct smfiDesc;

/* The filter description handed to smfi_register(). */
struct smfiDesc *milter_desc(void);

#endif
