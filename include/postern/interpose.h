/*
 * interpose.h - the libc calls postern interposes under libmilter
 * (interpose.c), each only for the libmilter version it was made for:
 * read() and accept(), so TCP_QUICKACK is set after each read on an
 * accepted inet connection; poll() on the listening socket, so a stop
 * (SIGTERM) is seen within LISTEN_SLICE_MS instead of libmilter's 5 s.
 */
#ifndef POSTERN_INTERPOSE_H
#define POSTERN_INTERPOSE_H

#include <stdbool.h>

/* The longest poll libmilter's listener gets on its socket. */
#define LISTEN_SLICE_MS 200

/* Whether libmilter's smfi_version() is the one the interposition is for. */
bool quickack_gate(unsigned major, unsigned minor, unsigned patch);
/* Turn quick ACKs on (before the milter threads start); false when the
 * gate is shut or the real functions cannot be found. */
bool quickack_enable(unsigned major, unsigned minor, unsigned patch);
/* How many times TCP_QUICKACK was set (for the test and the metrics). */
unsigned long quickack_count(void);
/* Name libmilter's listening descriptor FD (before the milter threads
 * start): polls on it alone wait at most LISTEN_SLICE_MS.  False when the
 * gate is shut or FD is not a listening socket. */
bool listen_slice_enable(int fd, unsigned major, unsigned minor, unsigned patch);

#endif
