/*
 * snapshot.h - what a connection pins: the main configuration, the policy
 * set and each check's start-up state (DKIM keys and library handle, ...),
 * built together and immutable afterwards.
 *
 * A reload builds a complete new snapshot; connections keep the one they
 * started with (reference counted) and the old one is freed by the last.
 */
#ifndef POSTERN_SNAPSHOT_H
#define POSTERN_SNAPSHOT_H

#include "postern/config.h"
#include "postern/conftab.h"

#define SNAP_MAX_CHECKS 16   /* at least the rows of the check table */

struct policy_set;

struct snapshot {
	int refs;                    /* guarded by the snapshot lock */
	struct config cfg;
	struct policy_set *policies;
	void *state[SNAP_MAX_CHECKS]; /* each check's snap_new result (check.h) */
};

/*
 * Build a snapshot from a config file and its policy directory.  Returns
 * NULL and fills errs on any problem.  Owned by the caller (refs = 1).
 */
struct snapshot *snapshot_build(const char *path, struct ct_errors *errs);
/* Make snap the current one (takes over the caller's reference). */
void snapshot_install(struct snapshot *snap);
/* Pin the current snapshot; release it with snapshot_release. */
struct snapshot *snapshot_acquire(void);
void snapshot_release(struct snapshot *snap);
/* Drop the current snapshot (at stop, after the last connection). */
void snapshot_uninstall(void);

#endif
