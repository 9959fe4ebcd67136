/*
 * log.h - the one logging module: syslog, or stderr in the foreground.
 *
 * Level filtering lives here, not at call sites.  Every line about a
 * message carries the MTA's queue id.  Network text must pass through
 * sb_escape() before it reaches a log line.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdbool.h>

#include "postern/util.h"

enum log_level {
	PLOG_ERR = 0,
	PLOG_WARNING,
	PLOG_NOTICE,
	PLOG_INFO,
	PLOG_DEBUG,
};

/* Opens syslog with facility (a LOG_* value) unless to_stderr. */
void log_open(const char *ident, int facility, bool to_stderr);
void log_set_level(int level);
void log_set_facility(int facility);
bool log_enabled(int level);

/* qid may be NULL (then "NOQUEUE" is printed). */
void plog(int level, const char *qid, const char *fmt, ...) PST_PRINTF(3, 4);

/* Name <-> value helpers used by the config module. */
bool log_facility_parse(const char *name, int *facility);
bool log_level_parse(const char *name, int *level);
const char *log_level_name(int level);

#endif
