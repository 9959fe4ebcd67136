/*
 * store_lmdb.c - the embedded store backend: one LMDB file (MDB_NOSUBDIR,
 * a NAME-lock file next to it), many readers and one writer, processes
 * and threads alike (the daemon and postern-learn share it).  A record is
 * 24 bytes: the two counters and an expiry time (ms since the epoch, 0 =
 * none), host byte order.  A get is one read transaction, an add one
 * write transaction.  Opened by store.c on first use.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "postern/util.h"
#include "store_int.h"

struct lmdb_be {
	MDB_env *env;
	MDB_dbi dbi;
};

struct rec {
	int64_t a, b, expires;
};

static enum store_status
fail(struct store *s, int rc, const char *what)
{
	char why[128];
	enum store_status st = rc == MDB_MAP_FULL ? STORE_FULL : STORE_ERROR;

	snprintf(why, sizeof(why), "lmdb %s: %s", what, mdb_strerror(rc));
	store_note(s, st, why);
	return st;
}

static enum store_status
lmdb_open(struct store *s)
{
	struct lmdb_be *be = xcalloc(1, sizeof(*be));
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_env_create(&be->env)) != 0)
		goto bad;
	if ((rc = mdb_env_set_mapsize(be->env, (size_t)s->map_size)) != 0 ||
	    (rc = mdb_env_set_maxreaders(be->env, 512)) != 0)
		goto bad;
	rc = mdb_env_open(be->env, s->path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOMETASYNC, 0640);
	if (rc != 0)
		goto bad;
	if ((rc = mdb_txn_begin(be->env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &be->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		goto bad;
	}
	s->be = be;
	return STORE_OK;
bad:
	if (be->env != NULL)
		mdb_env_close(be->env);
	free(be);
	/* store_note takes the lock the caller holds: set directly; the
	 * file name's tail is the part worth keeping */
	s->health = STORE_DOWN;
	{
		size_t pl = strlen(s->path);
		const char *tail = pl > 60 ? s->path + pl - 60 : s->path;
		snprintf(s->why, sizeof(s->why), "lmdb %.60s: %.50s", tail, mdb_strerror(rc));
	}
	return STORE_DOWN;
}

static void
rec_read(const MDB_val *v, struct rec *r, long long now)
{
	memset(r, 0, sizeof(*r));
	if (v->mv_size != sizeof(*r))
		return;
	memcpy(r, v->mv_data, sizeof(*r));
	if (r->expires != 0 && r->expires <= now)
		memset(r, 0, sizeof(*r));
}

static enum store_status
lmdb_get(struct store *s, const struct store_key *k, size_t n, struct store_val *out)
{
	struct lmdb_be *be = s->be;
	MDB_txn *txn;
	long long now = store_now_ms();
	int rc;

	if ((rc = mdb_txn_begin(be->env, NULL, MDB_RDONLY, &txn)) != 0)
		return fail(s, rc, "read");
	for (size_t i = 0; i < n; i++) {
		MDB_val key = { k[i].len, (void *)k[i].b }, val;
		struct rec r;

		rc = mdb_get(txn, be->dbi, &key, &val);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc != 0) {
			mdb_txn_abort(txn);
			return fail(s, rc, "get");
		}
		rec_read(&val, &r, now);
		out[i].a = r.a;
		out[i].b = r.b;
	}
	mdb_txn_abort(txn);
	store_note(s, STORE_OK, NULL);
	return STORE_OK;
}

static enum store_status
lmdb_add(struct store *s, const struct store_key *k, size_t n, const struct store_val *d,
    unsigned ttl_ms)
{
	struct lmdb_be *be = s->be;
	MDB_txn *txn;
	long long now = store_now_ms();
	int rc;

	if ((rc = mdb_txn_begin(be->env, NULL, 0, &txn)) != 0)
		return fail(s, rc, "write");
	for (size_t i = 0; i < n; i++) {
		MDB_val key = { k[i].len, (void *)k[i].b }, val;
		struct rec r;

		rc = mdb_get(txn, be->dbi, &key, &val);
		if (rc == 0)
			rec_read(&val, &r, now);
		else if (rc == MDB_NOTFOUND)
			memset(&r, 0, sizeof(r));
		else
			goto bad;
		if (r.a == 0 && r.b == 0 && r.expires == 0 && ttl_ms > 0)
			r.expires = now + ttl_ms;
		r.a += d[i].a;
		r.b += d[i].b;
		val.mv_size = sizeof(r);
		val.mv_data = &r;
		if ((rc = mdb_put(txn, be->dbi, &key, &val, 0)) != 0)
			goto bad;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return fail(s, rc, "commit");
	store_note(s, STORE_OK, NULL);
	return STORE_OK;
bad:
	mdb_txn_abort(txn);
	return fail(s, rc, "put");
}

static enum store_status
lmdb_size(struct store *s, uint64_t *bytes, uint64_t *records)
{
	struct lmdb_be *be = s->be;
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	if ((rc = mdb_env_info(be->env, &info)) != 0 || (rc = mdb_env_stat(be->env, &st)) != 0)
		return fail(s, rc, "stat");
	*bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	*records = st.ms_entries;
	return STORE_OK;
}

static void
lmdb_close(struct store *s)
{
	struct lmdb_be *be = s->be;

	if (be == NULL)
		return;
	mdb_env_close(be->env);
	free(be);
	s->be = NULL;
}

const struct store_ops store_lmdb_ops = {
	.open = lmdb_open,
	.get = lmdb_get,
	.add = lmdb_add,
	.size = lmdb_size,
	.close = lmdb_close,
};
