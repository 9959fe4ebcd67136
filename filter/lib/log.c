/*
 * log.c - syslog or stderr output with level filtering.
 * Called from everywhere; state is the level, facility and sink.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "postern/log.h"

static int log_level = PLOG_INFO;   /* written by the reload thread: atomic */
static bool log_stderr = true;

static const int sysprio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO,
	LOG_DEBUG };
static const char *const level_names[] = { "error", "warning", "notice",
	"info", "debug" };

void
log_open(const char *ident, int facility, bool to_stderr)
{
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_set_level(int level)
{
	if (level >= PLOG_ERR && level <= PLOG_DEBUG)
		__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void
log_set_facility(int facility)
{
	if (!log_stderr) {
		closelog();
		openlog("postern", LOG_PID | LOG_NDELAY, facility);
	}
}

bool
log_enabled(int level)
{
	return level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

/*
 * The last guard of every log line: a control or 8-bit byte that a call
 * site let through (it should have used sb_escape) becomes \xHH, so no
 * network text can end a line, forge the next one or drive a terminal.
 * '\\' and '"' are kept: they are the escapes and quotes of the fields.
 */
static void
guard(strbuf *sb, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f) {
			sb_putc(sb, (char)c);
		} else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sb_append(sb, e, 4);
		}
	}
}

void
plog(int level, const char *qid, const char *fmt, ...)
{
	strbuf sb, text;
	va_list ap;

	if (!log_enabled(level))
		return;
	sb_init(&sb);
	if (qid != NULL && *qid != '\0')
		sb_escape(&sb, qid, strlen(qid), 40);   /* the MTA's macro */
	else
		sb_puts(&sb, "NOQUEUE");
	sb_puts(&sb, ": ");
	sb_init(&text);
	va_start(ap, fmt);
	sb_vprintf(&text, fmt, ap);
	va_end(ap);
	guard(&sb, text.s, text.len);
	sb_free(&text);
	if (log_stderr) {
		fprintf(stderr, "postern[%s]: %s\n", level_names[level], sb.s);
		fflush(stderr);
	} else {
		syslog(sysprio[level], "%s", sb.s);
	}
	sb_free(&sb);
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

bool
log_facility_parse(const char *name, int *facility)
{
	for (size_t i = 0; i < NELEM(facilities); i++) {
		if (strcasecmp(name, facilities[i].name) == 0) {
			*facility = facilities[i].value;
			return true;
		}
	}
	return false;
}

bool
log_level_parse(const char *name, int *level)
{
	for (int i = 0; i < (int)NELEM(level_names); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*level = i;
			return true;
		}
	}
	return false;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level >= (int)NELEM(level_names))
		return "?";
	return level_names[level];
}
