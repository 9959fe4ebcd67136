/*
 * memory.h - the daemon's allocator policy (glibc malloc tuning), so that
 * the resident size after a burst of large or hostile messages returns to
 * where it was.  Measurements: docs/RELIABILITY.md, docs/NOTES-reliability.md.
 */
#ifndef POSTERN_MEMORY_H
#define POSTERN_MEMORY_H

/* At start-up, before any thread: large blocks (long header fields, body
 * chunks, MIME decoding buffers) are mapped and unmapped on their own
 * instead of staying in a thread's heap. */
void mem_init(void);

/* A milter connection begins / ends.  At the end, free heap pages go back
 * to the system (malloc_trim): when the last open connection ends (at most
 * every MEM_IDLE_GAP_MS), else at most every MEM_BUSY_GAP_MS. */
void mem_conn_begin(void);
void mem_conn_end(void);

#endif
