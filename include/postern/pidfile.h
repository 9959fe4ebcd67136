/*
 * pidfile.h - the daemon's pid file: created without following links,
 * locked for the daemon's lifetime (a second daemon on the same file is
 * refused), handed to the unprivileged user, removed at stop.
 */
#ifndef POSTERN_PIDFILE_H
#define POSTERN_PIDFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Create and lock path, write our pid; owner (uid, gid) unless uid is
 * (uid_t)-1.  False with a reason in err.  An empty path is no pid file. */
bool pidfile_open(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Remove the pid file written by pidfile_open (after the privilege drop
 * too): unlink it, or, where the directory does not let this user remove
 * it, empty it so no stale pid is left.  Safe to call without a file. */
void pidfile_remove(void);

#endif
