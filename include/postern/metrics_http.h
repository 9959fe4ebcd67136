/*
 * metrics_http.h - the optional metrics endpoint (metrics.listen): GET
 * /metrics answers metrics_render()'s Prometheus text.  metrics_http.c
 * serves it with libmicrohttpd; metrics_http_none.c, built without it,
 * refuses a configured endpoint.  Called by main.c only.
 */
#ifndef POSTERN_METRICS_HTTP_H
#define POSTERN_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* false when postern was built without libmicrohttpd */
bool metrics_http_available(void);
/* Bind and listen on spec (inet:PORT@ADDR, inet6:PORT@ADDR, unix:/path),
 * before the privilege drop; a unix socket gets mode 0660 and owner
 * uid:gid ((uid_t)-1: unchanged).  false with a message in err. */
bool metrics_http_open(const char *spec, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Start serving on the socket metrics_http_open made (after the signal
 * mask is set: its thread inherits it). */
bool metrics_http_start(char *err, size_t errlen);
/* Stop the server and close the socket; safe when never started. */
void metrics_http_stop(void);

#endif
