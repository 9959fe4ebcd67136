/*
 * metrics_http_none.c - metrics_http.h when postern is built without
 * libmicrohttpd: a configured metrics.listen is an error at start and
 * at `postern -t`.
 */
#include "config.h"

#include <stdio.h>

#include "postern/metrics_http.h"

bool
metrics_http_available(void)
{
	return false;
}

bool
metrics_http_open(const char *spec, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	(void)uid;
	(void)gid;
	snprintf(err, errlen, "metrics.listen = \"%s\": postern was built without libmicrohttpd", spec);
	return false;
}

bool
metrics_http_start(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return true;
}

void
metrics_http_stop(void)
{
}
