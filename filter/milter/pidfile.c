/*
 * pidfile.c - write, lock and remove the pid file (pidfile.h).
 *
 * The file is opened O_NOFOLLOW|O_CREAT without O_TRUNC, locked with
 * fcntl(F_SETLK) and only then truncated, so a running daemon's file is
 * never emptied by a second start.  The lock lives as long as the
 * process; a file left by a killed daemon is unlocked and simply reused.
 * It is chowned to the user postern runs as, so after the privilege drop
 * the daemon can still empty it when the directory (e.g. /run) does not
 * let that user unlink it; with a directory the user owns (systemd's
 * RuntimeDirectory=postern) it is removed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/pidfile.h"
#include "postern/util.h"

static int pid_fd = -1;
static char *pid_path;

bool
pidfile_open(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	char text[32];
	int fd, n;

	if (path[0] == '\0')
		return true;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "pid file %s: not a regular file", path);
		close(fd);
		return false;
	}
	if (fcntl(fd, F_SETLK, &lk) != 0) {
		char old[32] = "";
		ssize_t r = pread(fd, old, sizeof(old) - 1, 0);

		old[r > 0 ? r : 0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		snprintf(err, errlen, "pid file %s is held by a running postern (pid %s)", path,
		    old[0] ? old : "?");
		close(fd);
		return false;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0)) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return false;
	}
	pid_fd = fd;
	pid_path = xstrdup(path);
	return true;
}

void
pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	if (unlink(pid_path) != 0 && ftruncate(pid_fd, 0) != 0) {
		/* nothing more can be done as this user; the lock goes with us */
	}
	close(pid_fd);
	pid_fd = -1;
	free(pid_path);
	pid_path = NULL;
}
