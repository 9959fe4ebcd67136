/*
 * main.c - command line, configuration check, socket, privileges, pid
 * file, reload thread, and handing control to libmilter.
 *
 *   postern [-f] [-c FILE]    run the daemon (-f: foreground, log to stderr)
 *   postern -t [-c FILE]      check config and policies, exit non-zero on error
 *   postern -t --check-keys   also look up each DKIM selector and compare it
 *                             with the private key
 *   postern -n [-c FILE]      print the effective config and policies
 *   postern -k                print the reference of every key
 *   postern -V                print the version
 *   postern explain ...       run the pipeline offline on one message (explain.c)
 *   postern import opendkim FILE   an opendkim.conf as postern.conf (import.c)
 *
 * SIGUSR1 reloads config and policies into a new snapshot (libmilter's own
 * signal thread turns SIGHUP/SIGTERM into a stop and SIGINT into an abort).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <libmilter/mfapi.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/check_bayes.h"
#include "postern/check_dkim.h"
#include "postern/check_dmarc.h"
#include "postern/config.h"
#include "postern/dmarc.h"
#include "postern/memory.h"
#include "postern/dns.h"
#include "postern/explain.h"
#include "postern/import.h"
#include "postern/spf.h"
#include "postern/log.h"
#include "postern/interpose.h"
#include "postern/metrics.h"
#include "postern/metrics_http.h"
#include "postern/milter.h"
#include "postern/pidfile.h"
#include "postern/policy.h"
#include "postern/snapshot.h"

#define DEFAULT_CONF SYSCONFDIR "/postern/postern.conf"

static const char *conf_path = DEFAULT_CONF;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: postern [-f] [-c FILE]   run the milter\n"
	    "       postern -t [-c FILE]     check configuration, policies and DKIM keys\n"
	    "       postern -t --check-keys  ... and compare each key with its DNS record\n"
	    "       postern -n [-c FILE]     print the effective configuration\n"
	    "       postern -k               print the reference of every config and policy key\n"
	    "       postern -V               print the version\n"
	    "       postern explain [-c FILE] [--client IP] [--helo NAME] [--from ADDR]\n"
	    "               --rcpt ADDR [--rcpt ADDR ...] [--auth USER] [--size N] MSG.eml\n"
	    "                                run the pipeline offline and explain the verdict\n"
	    "       postern import opendkim FILE  print an opendkim.conf as postern.conf\n");
	exit(status);
}

static struct snapshot *
load_or_report(const char *path)
{
	struct ct_errors errs;
	struct snapshot *s;

	ct_errors_init(&errs);
	s = snapshot_build(path, &errs);
	if (s == NULL)
		fputs(ct_errors_text(&errs, "unknown configuration error\n"), stderr);
	for (const char *w = errs.warnings.s; w != NULL && *w != '\0';) {
		size_t n = strcspn(w, "\n");

		fprintf(stderr, "postern: warning: %.*s\n", (int)n, w);
		w += n + (w[n] == '\n');
	}
	ct_errors_free(&errs);
	return s;
}

static void
print_effective(const struct snapshot *s)
{
	strbuf out;

	sb_init(&out);
	config_print(&s->cfg, &out);
	sb_putc(&out, '\n');
	policy_print(policy_default(s->policies), &out);
	for (size_t i = 0; i < policy_set_count(s->policies); i++) {
		sb_putc(&out, '\n');
		policy_print(policy_set_get(s->policies, i), &out);
	}
	fputs(out.s, stdout);
	sb_free(&out);
}

static void
print_reference(void)
{
	strbuf out;

	sb_init(&out);
	sb_puts(&out, "### postern.conf\n\n");
	ct_print_reference(config_keys, config_nkeys, &out);
	sb_puts(&out, "\nSIGUSR1 reloads this file, the policies and the DKIM keys into a new "
	    "snapshot; connections already open keep theirs.  Read only at start (a reload keeps "
	    "the running value and logs a warning):");
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_restart_key(config_keys[i].name))
			sb_printf(&out, " `%s`", config_keys[i].name);
	sb_puts(&out, ".\n");
	sb_puts(&out, "\n### policies (default.conf, DOMAIN.conf)\n\n");
	policy_print_reference(&out);
	fputs(out.s, stdout);
	sb_free(&out);
}

/* Look up every signing key's selector; false if any does not match. */
static bool
check_keys(const struct snapshot *s)
{
	struct dns_options dopt = { &s->cfg.dns_nameservers, (unsigned)s->cfg.dns_timeout,
		s->cfg.dns_cache_size, NULL };
	char err[256];
	bool all = true;

	if (!dns_init(&dopt, err, sizeof(err))) {
		fprintf(stderr, "postern: resolver: %s\n", err);
		return false;
	}
	const struct dkim_state *dk = check_dkim_state(s);

	for (size_t i = 0; dk != NULL && i < dk->keys.n; i++) {
		strbuf msg;
		enum dkim_keycheck r;

		sb_init(&msg);
		r = dkim_key_check_dns(&dk->keys.v[i], &msg);
		printf("postern: dkim key %s\n", msg.s);
		all = all && r == KEYCHECK_MATCH;
		sb_free(&msg);
	}
	dns_shutdown();
	return all;
}

/* How long a stop waits for callbacks still running (a DNS deadline or two). */
#define DRAIN_MS 5000u

/* ---- reload ------------------------------------------------------------- */

/* A reload runs under reload_lock; at stop, main takes it and ends them. */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static bool reload_stopped;

static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;

	for (;;) {
		int sig;
		struct ct_errors errs;
		struct snapshot *s;

		if (sigwait(set, &sig) != 0 || sig != SIGUSR1)
			continue;
		pthread_mutex_lock(&reload_lock);
		if (reload_stopped) {
			pthread_mutex_unlock(&reload_lock);
			continue;
		}
		ct_errors_init(&errs);
		s = snapshot_build(conf_path, &errs);
		if (s == NULL) {
			plog(PLOG_ERR, NULL, "reload failed, keeping the running configuration: %s",
			    ct_errors_text(&errs, "?"));
		} else {
			struct snapshot *old = snapshot_acquire();
			strbuf kept;

			sb_init(&kept);
			if (old != NULL)
				config_restart_changes(&old->cfg, &s->cfg, &kept);
			snapshot_release(old);
			log_set_level(s->cfg.log_level);
			dns_set_timeout((unsigned)s->cfg.dns_timeout);
			snapshot_install(s);
			plog(PLOG_NOTICE, NULL, "configuration reloaded from %s", conf_path);
			if (kept.len > 0)
				plog(PLOG_WARNING, NULL, "changed keys that apply only after a restart, "
				    "running with their old values: %s", kept.s);
			sb_free(&kept);
			if (errs.nwarnings > 0)
				plog(PLOG_WARNING, NULL, "configuration warnings: %s", errs.warnings.s);
		}
		ct_errors_free(&errs);
		pthread_mutex_unlock(&reload_lock);
	}
	return NULL;
}

/* ---- start-up ----------------------------------------------------------- */

static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

static bool
lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

/*
 * libmilter's listening socket, the one listening socket postern has when
 * smfi_opensocket() has just returned (libmilter does not expose it, so
 * look among our fds), or -1.  It gets TCP_NODELAY when it is inet
 * (accepted sockets inherit it on Linux): libmilter writes each reply
 * packet with its own write(); with Nagle on, the final reply after a
 * header change waits for the MTA's delayed ACK, ~40 ms per message on an
 * inet socket (measured with contrib/bench/milterload,
 * docs/PERFORMANCE.md); and its polls are sliced (interpose.c).
 */
static int
milter_listener(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	socklen_t il;
	int fd, on, found = -1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (fd <= 2 || fd == dirfd(d))
			continue;
		on = 0;
		il = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &il) == 0 && on) {
			found = fd;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Gauges and counters of the parts above the metrics module. */
static void
render_sources(strbuf *out)
{
	check_bayes_metrics(out);
	sb_printf(out, "# HELP postern_tcp_quickacks_total TCP_QUICKACK set after a read on an inet milter "
	    "connection (socket_quickack).\n# TYPE postern_tcp_quickacks_total counter\n"
	    "postern_tcp_quickacks_total %lu\n", quickack_count());
	{
		unsigned long long h, m;

		dns_cache_stats(&h, &m);
		sb_printf(out, "# HELP postern_dns_cache_total Questions answered from the resolver's answer "
		    "cache (hit) or sent to libunbound (miss).\n# TYPE postern_dns_cache_total counter\n"
		    "postern_dns_cache_total{result=\"hit\"} %llu\npostern_dns_cache_total{result=\"miss\"} %llu\n",
		    h, m);
	}
}

static bool
prepare_socket(const struct config *cfg)
{
	const char *path = socket_path(cfg->socket);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (smfi_setconn(cfg->socket) != MI_SUCCESS) {
		fprintf(stderr, "postern: bad socket \"%s\"\n", cfg->socket);
		return false;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "postern: cannot open socket \"%s\"\n", cfg->socket);
		return false;
	}
	int lfd = milter_listener();
	unsigned vma = 0, vmi = 0, vpl = 0;
	(void)smfi_version(&vma, &vmi, &vpl);
	if (!listen_slice_enable(lfd, vma, vmi, vpl))
		plog(PLOG_NOTICE, NULL, "libmilter %u.%u.%u: a stop may take up to its 5 s listener timeout",
		    vma, vmi, vpl);
	if (path == NULL) {
		int one = 1;

		if (lfd >= 0 && setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
			plog(PLOG_WARNING, NULL, "TCP_NODELAY on the milter socket: %s", strerror(errno));
		if (cfg->socket_quickack) {
			unsigned ma = 0, mi = 0, pl = 0;

			(void)smfi_version(&ma, &mi, &pl);
			if (quickack_enable(ma, mi, pl))
				plog(PLOG_INFO, NULL, "inet socket: TCP_QUICKACK after each read (libmilter %u.%u.%u)",
				    ma, mi, pl);
			else
				plog(PLOG_NOTICE, NULL, "inet socket: socket_quickack not applied: libmilter %u.%u.%u "
				    "is not the version it is made for (1.0.1); the MTA may wait for delayed ACKs",
				    ma, mi, pl);
		}
		return true;
	}
	if (chmod(path, (mode_t)cfg->socket_mode) != 0) {
		fprintf(stderr, "postern: chmod %s: %s\n", path, strerror(errno));
		return false;
	}
	const char *owner = cfg->socket_owner[0] ? cfg->socket_owner : cfg->user;
	if (owner[0] != '\0') {
		char *user = xstrdup(owner), *colon = strchr(user, ':');
		bool ok;

		if (colon != NULL)
			*colon++ = '\0';
		ok = lookup_user(user, &uid, &gid);
		if (ok && colon != NULL) {
			struct group *gr = getgrnam(colon);
			ok = gr != NULL;
			if (ok)
				gid = gr->gr_gid;
		}
		if (!ok || chown(path, uid, gid) != 0) {
			fprintf(stderr, "postern: cannot give socket %s to %s\n", path, owner);
			free(user);
			return false;
		}
		free(user);
	}
	return true;
}

static bool
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return true;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "postern: unknown user \"%s\"\n", user);
		return false;
	}
	if (getuid() == pw->pw_uid)
		return true;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "postern: cannot become %s: %s\n", user, strerror(errno));
		return false;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "postern: privileges could be regained, refusing to run\n");
		return false;
	}
	return true;
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") != 0)
		die("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	bool foreground = false, test = false, print = false;
	struct snapshot *snap;
	struct dns_options dopt;
	sigset_t usr1;
	pthread_t reloader;
	char err[256];
	int ch, rc;
	unsigned left;
	bool keys = false;
	static const struct option longopts[] = {
		{ "check-keys", no_argument, NULL, 'K' },   /* long option only */
		{ NULL, 0, NULL, 0 },
	};

	/* OpenSSL frees its locks in an at-exit handler, but libmilter's
	 * session threads are detached and may still be ending when main
	 * returns (OpenSSL's per-thread clean-up takes those locks): no
	 * at-exit clean-up, the process exit frees it all (a TSan report
	 * once postern exited by itself, docs/NOTES-foundation.md) */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1, conf_path);
	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "c:fhkntV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'K': keys = test = true; break;
		case 'c': conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 'n': print = true; break;
		case 't': test = true; break;
		case 'V': printf("postern %s\n", PACKAGE_VERSION); return 0;
		case 'k': print_reference(); return 0;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (!test && !print)
		check_dmarc_spool_enable();   /* the daemon records DMARC report data */
	if ((snap = load_or_report(conf_path)) == NULL)
		return 1;
	if (snap->cfg.metrics_listen[0] != '\0' && !metrics_http_available()) {
		fprintf(stderr, "%s:0: metrics.listen: postern was built without libmicrohttpd\n", conf_path);
		snapshot_release(snap);
		return 1;
	}
	if (test) {
		printf("postern: %s and %zu domain policies are valid; %zu DKIM signing keys loaded\n",
		    conf_path, policy_set_count(snap->policies),
		    check_dkim_state(snap) != NULL ? check_dkim_state(snap)->keys.n : 0);
		rc = keys && !check_keys(snap) ? 1 : 0;
		snapshot_release(snap);
		return rc;
	}
	if (print) {
		print_effective(snap);
		snapshot_release(snap);
		return 0;
	}

	log_open("postern", snap->cfg.syslog_facility, foreground);
	log_set_level(snap->cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (smfi_register(*milter_desc()) != MI_SUCCESS)
		die("smfi_register failed");
	smfi_setmaxdatasize(1024 * 1024);
	if (!prepare_socket(&snap->cfg))
		return 1;
	if (!foreground)
		daemonize();
	{
		uid_t uid = (uid_t)-1;
		gid_t gid = (gid_t)-1;

		if (snap->cfg.user[0] != '\0' && !lookup_user(snap->cfg.user, &uid, &gid)) {
			fprintf(stderr, "postern: unknown user \"%s\"\n", snap->cfg.user);
			return 1;
		}
		if (!pidfile_open(snap->cfg.pid_file, uid, gid, err, sizeof(err))) {
			fprintf(stderr, "postern: %s\n", err);
			plog(PLOG_ERR, NULL, "%s", err);
			return 1;
		}
		if (snap->cfg.metrics_listen[0] != '\0' &&
		    !metrics_http_open(snap->cfg.metrics_listen, uid, gid, err, sizeof(err))) {
			fprintf(stderr, "postern: %s\n", err);
			plog(PLOG_ERR, NULL, "%s", err);
			pidfile_remove();
			return 1;
		}
	}
	if (!drop_privileges(snap->cfg.user)) {
		pidfile_remove();
		return 1;
	}

	mem_init();     /* allocator policy, before any thread */
	/*
	 * Block the signals before any thread exists, so every thread inherits
	 * the mask: SIGUSR1 goes to the reload thread's sigwait, SIGHUP, SIGTERM
	 * and SIGINT to libmilter's (an unblocked resolver thread would
	 * otherwise take SIGTERM and kill the process without a clean stop).
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	{
		sigset_t all = usr1;
		sigaddset(&all, SIGHUP);
		sigaddset(&all, SIGTERM);
		sigaddset(&all, SIGINT);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}

	dopt.nameservers = &snap->cfg.dns_nameservers;
	dopt.timeout_ms = (unsigned)snap->cfg.dns_timeout;
	dopt.cache_size = snap->cfg.dns_cache_size;
	dopt.resolv_conf = NULL;
	if (!dns_init(&dopt, err, sizeof(err))) {
		plog(PLOG_ERR, NULL, "resolver: %s", err);
		pidfile_remove();
		return 1;
	}
	if (!spf_engine_init(err, sizeof(err))) {
		plog(PLOG_ERR, NULL, "%s", err);
		pidfile_remove();
		return 1;
	}
	metrics_set_source(render_sources);
	if (!metrics_http_start(err, sizeof(err))) {
		plog(PLOG_ERR, NULL, "%s", err);
		pidfile_remove();
		return 1;
	}
	plog(PLOG_NOTICE, NULL, "postern %s starting on %s", PACKAGE_VERSION, snap->cfg.socket);
	snapshot_install(snap);   /* the reference from load_or_report goes to `current` */
	if (pthread_create(&reloader, NULL, reload_thread, &usr1) != 0)
		die("cannot start the reload thread");
	pthread_detach(reloader);
	rc = smfi_main();
	plog(PLOG_NOTICE, NULL, "postern stopping");
	metrics_http_stop();
	/* smfi_main returns when libmilter stops listening; its session
	 * threads may still be in a callback, using the engines: wait for the
	 * callbacks (bounded; none starts after this), and if one never ends,
	 * leave the engines to the process exit */
	left = milter_drain(DRAIN_MS);
	if (left > 0) {
		plog(PLOG_WARNING, NULL, "%u callbacks still running after %u ms; "
		    "exiting without freeing the engines", left, DRAIN_MS);
		pidfile_remove();
		/* no exit handlers (OpenSSL's, stdio) under running sessions;
		 * the MTA applies its milter_default_action to what they had */
		_exit(rc == MI_SUCCESS ? 0 : 1);
	}
	plog(PLOG_INFO, NULL, "no callback running; freeing the engines");
	/* a reload in progress finishes first; none starts after this */
	pthread_mutex_lock(&reload_lock);
	reload_stopped = true;
	pthread_mutex_unlock(&reload_lock);
	snapshot_uninstall();
	spf_engine_free();
	dns_shutdown();
	pidfile_remove();
	return rc == MI_SUCCESS ? 0 : 1;
}
