/*
 * metrics_http.c - the metrics endpoint over libmicrohttpd: GET /metrics
 * (and HEAD) answers metrics_render()'s Prometheus text; anything else is
 * 404 or 405.  The listening socket is made here (loopback or unix only,
 * as config.c enforces) before the privilege drop and handed to
 * libmicrohttpd, which serves it from one internal thread with a small
 * connection limit and timeout.  Called by main.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "postern/metrics.h"
#include "postern/metrics_http.h"
#include "postern/util.h"

#define MAX_CONNECTIONS 8
#define CONNECTION_TIMEOUT_S 10

static int listen_fd = -1;
static struct MHD_Daemon *daemon_;

bool
metrics_http_available(void)
{
	return true;
}

static bool
open_unix(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "metrics.listen: path too long: %s", path);
		return false;
	}
	/* a stale socket from an earlier run; never remove anything else */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0660) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0)) {
		snprintf(err, errlen, "metrics.listen: %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool
open_inet(const char *spec, char *err, size_t errlen)
{
	char port[8], host[64];
	const char *at = strchr(spec, '@');
	struct addrinfo hints, *res = NULL;
	int one = 1, r;

	if (at == NULL || (size_t)(at - spec) >= sizeof(port) || strlen(at + 1) >= sizeof(host)) {
		snprintf(err, errlen, "metrics.listen: bad address");
		return false;
	}
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	strlcpy_ok(host, at + 1, sizeof(host));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "metrics.listen: %s", gai_strerror(r));
		return false;
	}
	listen_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(listen_fd, res->ai_addr, res->ai_addrlen) != 0) {
		snprintf(err, errlen, "metrics.listen: %s@%s: %s", port, host, strerror(errno));
		freeaddrinfo(res);
		return false;
	}
	freeaddrinfo(res);
	return true;
}

bool
metrics_http_open(const char *spec, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	bool ok;

	if (strncmp(spec, "unix:", 5) == 0)
		ok = open_unix(spec + 5, uid, gid, err, errlen);
	else if (strncmp(spec, "local:", 6) == 0)
		ok = open_unix(spec + 6, uid, gid, err, errlen);
	else if (strncmp(spec, "inet:", 5) == 0)
		ok = open_inet(spec + 5, err, errlen);
	else if (strncmp(spec, "inet6:", 6) == 0)
		ok = open_inet(spec + 6, err, errlen);
	else {
		snprintf(err, errlen, "metrics.listen: unknown socket type");
		ok = false;
	}
	if (ok && listen(listen_fd, 16) != 0) {
		snprintf(err, errlen, "metrics.listen: listen: %s", strerror(errno));
		ok = false;
	}
	if (!ok && listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
	return ok;
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	static char not_found[] = "not found: try /metrics\n";
	static char not_allowed[] = "method not allowed\n";
	strbuf sb;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
		    sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return answer(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
		    sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	sb_init(&sb);
	metrics_render(&sb);
	/* the buffer is malloc'd by strbuf: libmicrohttpd frees it */
	return answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", sb.s, sb.len,
	    MHD_RESPMEM_MUST_FREE);
}

bool
metrics_http_start(char *err, size_t errlen)
{
	if (listen_fd < 0)
		return true;   /* not configured */
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
	    0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
	    MHD_OPTION_END);
	if (daemon_ == NULL) {
		snprintf(err, errlen, "metrics.listen: libmicrohttpd did not start");
		return false;
	}
	return true;
}

void
metrics_http_stop(void)
{
	if (daemon_ != NULL) {
		MHD_stop_daemon(daemon_);   /* closes the listening socket too */
		daemon_ = NULL;
		listen_fd = -1;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
}
