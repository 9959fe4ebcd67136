/*
 * snapshot.c - build, install, pin and release the snapshot: config,
 * policies and each check's start-up state (the rows' snap_new hooks).
 * Called by main.c (start, -t, -n, reload) and session.c (pin per
 * connection).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "postern/check.h"
#include "postern/policy.h"
#include "postern/snapshot.h"

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;

static void
snapshot_destroy(struct snapshot *s)
{
	for (size_t i = check_count; i > 0; i--)
		if (check_table[i - 1]->snap_free != NULL && s->state[i - 1] != NULL)
			check_table[i - 1]->snap_free(s->state[i - 1]);
	policy_set_free(s->policies);
	config_free(&s->cfg);
	free(s);
}

struct snapshot *
snapshot_build(const char *path, struct ct_errors *errs)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));

	_Static_assert(SNAP_MAX_CHECKS >= CHECK_MAX, "SNAP_MAX_CHECKS < CHECK_MAX");
	s->refs = 1;
	if (!config_load(&s->cfg, path, errs)) {
		config_free(&s->cfg);
		free(s);
		return NULL;
	}
	s->policies = policy_set_load(s->cfg.policy_dir, errs);
	if (s->policies == NULL) {
		snapshot_destroy(s);
		return NULL;
	}
	for (size_t i = 0; i < check_count; i++) {
		const struct check *ck = check_table[i];

		if (ck->snap_new != NULL && !ck->snap_new(&s->cfg, &s->state[i], errs)) {
			snapshot_destroy(s);
			return NULL;
		}
		if (ck->policies_check != NULL && !ck->policies_check(s->state[i], s->policies, errs)) {
			snapshot_destroy(s);
			return NULL;
		}
	}
	return s;
}

void
snapshot_install(struct snapshot *snap)
{
	struct snapshot *old;

	pthread_mutex_lock(&snap_lock);
	old = current;
	current = snap;
	pthread_mutex_unlock(&snap_lock);
	if (old != NULL)
		snapshot_release(old);
}

void
snapshot_uninstall(void)
{
	snapshot_install(NULL);
}

struct snapshot *
snapshot_acquire(void)
{
	struct snapshot *s;

	pthread_mutex_lock(&snap_lock);
	s = current;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&snap_lock);
	return s;
}

void
snapshot_release(struct snapshot *snap)
{
	bool last;

	if (snap == NULL)
		return;
	pthread_mutex_lock(&snap_lock);
	last = --snap->refs == 0;
	pthread_mutex_unlock(&snap_lock);
	if (last)
		snapshot_destroy(snap);
}
