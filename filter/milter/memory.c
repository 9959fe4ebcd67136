/*
 * memory.c - the allocator policy of the daemon (see memory.h).  glibc only;
 * other C libraries get no-ops.  Called by main.c (mem_init) and milter.c
 * (mem_release at connection close).
 *
 * Why: glibc raises its mmap threshold dynamically (up to 32 MiB) each time
 * a mapped block is freed, so after one long header the next ones come from
 * the per-thread arenas, where freed memory mostly stays.  With libmilter's
 * thread per connection and up to 8 arenas per core, RSS grew from 7 to
 * 34-38 MiB under 32 connections of 600 KB headers and stayed there
 * (valgrind: nothing lost; retention, not a leak).  A fixed threshold keeps
 * big blocks mapped; malloc_trim returns what the arenas hold.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "postern/memory.h"

#define MEM_MMAP_THRESHOLD (128 * 1024)  /* glibc's initial value, made fixed */
#define MEM_BUSY_GAP_MS 1000     /* trims while connections stay open */
#define MEM_IDLE_GAP_MS 100      /* trims when the last one closes */

static pthread_mutex_t trim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec last_trim;
static unsigned open_conns;     /* trim_lock */

void
mem_init(void)
{
#ifdef __GLIBC__
	/* setting it disables the dynamic threshold */
	mallopt(M_MMAP_THRESHOLD, MEM_MMAP_THRESHOLD);
#endif
}

void
mem_conn_begin(void)
{
	pthread_mutex_lock(&trim_lock);
	open_conns++;
	pthread_mutex_unlock(&trim_lock);
}

void
mem_conn_end(void)
{
	struct timespec now;
	long long ms;
	bool trim;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&trim_lock);
	if (open_conns > 0)
		open_conns--;
	ms = (long long)(now.tv_sec - last_trim.tv_sec) * 1000 +
	    (now.tv_nsec - last_trim.tv_nsec) / 1000000;
	trim = ms >= (open_conns == 0 ? MEM_IDLE_GAP_MS : MEM_BUSY_GAP_MS);
	if (trim)
		last_trim = now;
	pthread_mutex_unlock(&trim_lock);
#ifdef __GLIBC__
	if (trim)
		malloc_trim(0);
#else
	(void)trim;
#endif
}
