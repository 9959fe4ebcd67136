/*
 * ctl.c - postern-ctl: talk to a running postern through what its
 * configuration names.
 *
 *   postern-ctl [-c FILE] stats    print the metrics (GET /metrics on
 *                                  metrics.listen: unix socket or loopback)
 *   postern-ctl [-c FILE] reload   SIGUSR1 to the pid in pid_file
 *
 * Reads only the main configuration (config_load), never the policies.
 * Exit 0 on success, 1 on failure, 2 on a usage error.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern/config.h"
#include "postern/util.h"

#define MAX_RESPONSE (8u << 20)   /* bytes of an HTTP answer we read */
#define TIMEOUT_S 10

static void
usage(int st)
{
	fprintf(st ? stderr : stdout,
	    "usage: postern-ctl [-c FILE] stats    print the metrics (metrics.listen)\n"
	    "       postern-ctl [-c FILE] reload   reload postern (SIGUSR1 to the pid in pid_file)\n");
	exit(st);
}

static int
connect_to(const char *spec)
{
	struct timeval tv = { TIMEOUT_S, 0 };
	int fd = -1;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		const char *path = strchr(spec, ':') + 1;
		struct sockaddr_un sun;

		if (strlen(path) >= sizeof(sun.sun_path))
			return -1;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			fd = -1;
		}
	} else {
		const char *p = strchr(spec, ':'), *at = strchr(spec, '@');
		char port[8], host[64];
		struct addrinfo hints, *res = NULL;

		if (p == NULL || at == NULL || at < p || (size_t)(at - p - 1) >= sizeof(port) ||
		    strlen(at + 1) >= sizeof(host))
			return -1;
		memcpy(port, p + 1, (size_t)(at - p - 1));
		port[at - p - 1] = '\0';
		strlcpy_ok(host, at + 1, sizeof(host));
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			return -1;
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
	}
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static int
stats(const struct config *cfg)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char buf[65536];
	strbuf sb;
	const char *body;
	ssize_t n;
	int fd, rc = 1;

	if (cfg->metrics_listen[0] == '\0') {
		fprintf(stderr, "postern-ctl: %s: metrics.listen is not set\n", cfg->file);
		return 1;
	}
	if ((fd = connect_to(cfg->metrics_listen)) < 0) {
		fprintf(stderr, "postern-ctl: cannot connect to %s: %s\n", cfg->metrics_listen,
		    strerror(errno));
		return 1;
	}
	sb_init(&sb);
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > MAX_RESPONSE) {
			fprintf(stderr, "postern-ctl: answer over %u bytes\n", MAX_RESPONSE);
			goto out;
		}
		sb_append(&sb, buf, (size_t)n);
	}
	if (n < 0 || sb.len < 12 || strncmp(sb.s, "HTTP/1.", 7) != 0 || strncmp(sb.s + 9, "200", 3) != 0 ||
	    (body = strstr(sb.s, "\r\n\r\n")) == NULL) {
		fprintf(stderr, "postern-ctl: no valid answer from %s\n", cfg->metrics_listen);
		goto out;
	}
	body += 4;
	fwrite(body, 1, sb.len - (size_t)(body - sb.s), stdout);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	sb_free(&sb);
	close(fd);
	return rc;
}

static int
reload(const struct config *cfg)
{
	FILE *f;
	long pid = 0;

	if (cfg->pid_file[0] == '\0') {
		fprintf(stderr, "postern-ctl: %s: pid_file is not set\n", cfg->file);
		return 1;
	}
	if ((f = fopen(cfg->pid_file, "r")) == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fprintf(stderr, "postern-ctl: no pid in %s\n", cfg->pid_file);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	if (kill((pid_t)pid, SIGUSR1) != 0) {
		fprintf(stderr, "postern-ctl: kill -USR1 %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = SYSCONFDIR "/postern/postern.conf";
	struct ct_errors errs;
	struct config cfg;
	int c, rc;

	while ((c = getopt(argc, argv, "c:h")) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind + 1 != argc)
		usage(2);
	ct_errors_init(&errs);
	if (!config_load(&cfg, path, &errs)) {
		fputs(ct_errors_text(&errs, "postern-ctl: configuration error\n"), stderr);
		ct_errors_free(&errs);
		config_free(&cfg);
		return 1;
	}
	ct_errors_free(&errs);
	if (strcmp(argv[optind], "stats") == 0)
		rc = stats(&cfg);
	else if (strcmp(argv[optind], "reload") == 0)
		rc = reload(&cfg);
	else {
		config_free(&cfg);
		usage(2);
		return 2;
	}
	config_free(&cfg);
	return rc;
}
