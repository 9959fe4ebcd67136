/*
 * conftab.c - load, default, copy, print and free table-described config
 * objects from libconfig files.  Used by config.c and policy.c.
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "postern/conftab.h"
#include "postern/log.h"
#include "postern/verdict.h"

#define FIELD(obj, k, T) ((T *)(void *)((char *)(obj) + (k)->offset))
#define CFIELD(obj, k, T) ((const T *)(const void *)((const char *)(obj) + (k)->offset))

void
ct_errors_init(struct ct_errors *e)
{
	sb_init(&e->text);
	e->count = 0;
	sb_init(&e->warnings);
	e->nwarnings = 0;
}

const char *
ct_errors_text(const struct ct_errors *e, const char *fallback)
{
	return e->text.s != NULL && e->text.s[0] != '\0' ? e->text.s : fallback;
}

void
ct_errors_free(struct ct_errors *e)
{
	sb_free(&e->text);
	e->count = 0;
	sb_free(&e->warnings);
	e->nwarnings = 0;
}

void
ct_error(struct ct_errors *e, const char *file, int line, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	sb_printf(&e->text, "%s:%d: %s: ", file, line, key);
	va_start(ap, fmt);
	sb_vprintf(&e->text, fmt, ap);
	va_end(ap);
	sb_putc(&e->text, '\n');
	e->count++;
}

void
ct_warning(struct ct_errors *e, const char *file, int line, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	sb_printf(&e->warnings, "%s:%d: %s: ", file, line, key);
	va_start(ap, fmt);
	sb_vprintf(&e->warnings, fmt, ap);
	va_end(ap);
	sb_putc(&e->warnings, '\n');
	e->nwarnings++;
}

static void
free_value(const struct ct_key *k, void *obj)
{
	switch (k->type) {
	case CT_STRING: {
		char **p = FIELD(obj, k, char *);
		free(*p);
		*p = NULL;
		break;
	}
	case CT_STRLIST:
	case CT_SCORELIST:
		strlist_free(FIELD(obj, k, struct strlist));
		break;
	case CT_CIDRLIST:
		cidr_list_free(FIELD(obj, k, struct cidr_list));
		break;
	case CT_LOOKUP:
		lookup_unref(*FIELD(obj, k, struct lookup *));
		*FIELD(obj, k, struct lookup *) = NULL;
		break;
	case CT_FLAGS:
		*FIELD(obj, k, unsigned long long) = 0;
		break;
	default:
		break;
	}
}

/* Parse one scalar text value (or one list element) into obj.  Returns NULL
 * on success or a static description of the problem. */
static const char *
set_text(const struct ct_key *k, void *obj, const char *text, bool append)
{
	unsigned long long v;
	int iv;

	switch (k->type) {
	case CT_ALIAS:
		return "a deprecated name has no value of its own";
	case CT_STRING:
		free(*FIELD(obj, k, char *));
		*FIELD(obj, k, char *) = xstrdup(text);
		return NULL;
	case CT_BOOL:
		if (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0)
			*FIELD(obj, k, bool) = true;
		else if (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0)
			*FIELD(obj, k, bool) = false;
		else
			return "expected true or false";
		return NULL;
	case CT_UINT:
	case CT_SIZE:
		if (!parse_size(text, &v) || (k->type == CT_UINT && strspn(text, "0123456789") != strlen(text)))
			return k->type == CT_SIZE ? "expected a size (bytes, or with K, M or G)" : "expected a non-negative integer";
		if (v < k->min || v > k->max)
			return "value out of range";
		*FIELD(obj, k, unsigned long long) = v;
		return NULL;
	case CT_OCTAL: {
		char *end;
		if (*text == '\0' || strspn(text, "01234567") != strlen(text))
			return "expected an octal mode such as \"0660\"";
		errno = 0;
		v = strtoull(text, &end, 8);
		if (errno != 0 || v > 07777)
			return "mode out of range";
		*FIELD(obj, k, unsigned long long) = v;
		return NULL;
	}
	case CT_ACTION: {
		enum action a;
		if (!action_parse(text, &a))
			return "expected accept, tag, quarantine, discard, tempfail or reject";
		*FIELD(obj, k, enum action) = a;
		return NULL;
	}
	case CT_ENUM:
		for (iv = 0; k->choices[iv] != NULL; iv++) {
			if (strcasecmp(text, k->choices[iv]) == 0) {
				*FIELD(obj, k, int) = iv;
				return NULL;
			}
		}
		return "not one of the allowed values";
	case CT_FACILITY:
		if (!log_facility_parse(text, &iv))
			return "unknown syslog facility";
		*FIELD(obj, k, int) = iv;
		return NULL;
	case CT_STRLIST:
		if (!append)
			strlist_free(FIELD(obj, k, struct strlist));
		if (*text == '\0')
			return "empty list element";
		strlist_add(FIELD(obj, k, struct strlist), text);
		return NULL;
	case CT_SCORE:
		if (strcasecmp(text, "off") == 0) {
			*FIELD(obj, k, int) = SCORE_OFF;
			return NULL;
		}
		if (!parse_score(text, strlen(text), &iv))
			return "expected a score (-1000 to 1000, at most 2 decimals) or \"off\"";
		*FIELD(obj, k, int) = iv;
		return NULL;
	case CT_SCORELIST: {
		const char *eq = strchr(text, '=');
		size_t nl = eq != NULL ? (size_t)(eq - text) : 0;
		if (!append)
			strlist_free(FIELD(obj, k, struct strlist));
		if (eq == NULL || nl == 0 || nl > CT_NAME_MAX ||
		    strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_") != nl)
			return "expected \"rule=score\" (rule: a-z, 0-9, _; at most 48 characters)";
		if (!parse_score(eq + 1, strlen(eq + 1), &iv))
			return "expected \"rule=score\" with a score from -1000 to 1000, at most 2 decimals";
		strlist_add(FIELD(obj, k, struct strlist), text);
		return NULL;
	}
	case CT_CIDRLIST: {
		struct cidr c;
		enum cidr_status st;
		if (!append)
			cidr_list_free(FIELD(obj, k, struct cidr_list));
		st = cidr_parse(text, strlen(text), &c);
		if (st != CIDR_OK)
			return cidr_strerror(st);
		cidr_list_add(FIELD(obj, k, struct cidr_list), &c);
		return NULL;
	}
	case CT_FLAGS:
		if (!append)
			*FIELD(obj, k, unsigned long long) = 0;
		for (iv = 0; k->choices[iv] != NULL; iv++) {
			if (strcasecmp(text, k->choices[iv]) == 0) {
				*FIELD(obj, k, unsigned long long) |= 1ULL << iv;
				return NULL;
			}
		}
		return "not one of the allowed values";
	case CT_LOOKUP: {
		enum lookup_status st;
		struct lookup **lk = FIELD(obj, k, struct lookup *);
		if (!append || *lk == NULL) {
			lookup_unref(*lk);
			*lk = lookup_new((enum lookup_kind)k->min);
		}
		if ((st = lookup_add(*lk, text, strlen(text))) != LOOKUP_OK)
			return lookup_strerror(st);
		return NULL;
	}
	}
	return "unsupported type";
}

static bool
is_list(const struct ct_key *k)
{
	return k->type == CT_STRLIST || k->type == CT_CIDRLIST || k->type == CT_LOOKUP ||
	    k->type == CT_FLAGS || k->type == CT_SCORELIST;
}

/* Finish a lookup key after its last element (sort once). */
static void
finish_value(const struct ct_key *k, void *obj)
{
	if (k->type == CT_LOOKUP && *FIELD(obj, k, struct lookup *) != NULL)
		lookup_finish(*FIELD(obj, k, struct lookup *));
}

struct file_errs {
	struct ct_errors *errs;
	const char *key;
};

static void
lookup_file_error(void *ctx, const char *path, unsigned line, const char *why)
{
	struct file_errs *fe = ctx;

	ct_error(fe->errs, path, (int)line, fe->key, "%s", why);
}

/* One "file:PATH" element of a lookup key; a relative PATH is taken from
 * the directory of the file that names it. */
static void
lookup_file(const struct ct_key *k, void *obj, const char *text, const char *file,
    struct ct_errors *errs)
{
	struct lookup **lk = FIELD(obj, k, struct lookup *);
	struct file_errs fe = { errs, k->name };
	const char *path = text + 5, *slash = strrchr(file, '/');
	strbuf full;

	if (*lk == NULL)
		*lk = lookup_new((enum lookup_kind)k->min);
	sb_init(&full);
	if (path[0] != '/' && slash != NULL)
		sb_append(&full, file, (size_t)(slash - file + 1));
	sb_puts(&full, path);
	lookup_add_file(*lk, full.s, lookup_file_error, &fe);
	sb_free(&full);
}

void
ct_defaults(const struct ct_key *tab, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		const struct ct_key *k = &tab[i];

		if (k->type == CT_ALIAS)
			continue;
		free_value(k, obj);
		if (k->def == NULL)
			continue;
		if (is_list(k)) {
			char *copy = xstrdup(k->def), *save = NULL;
			for (char *t = strtok_r(copy, " ", &save); t != NULL;
			    t = strtok_r(NULL, " ", &save)) {
				if (set_text(k, obj, t, true) != NULL)
					die("bad built-in default for %s", k->name);
			}
			free(copy);
			finish_value(k, obj);
		} else if (set_text(k, obj, k->def, false) != NULL) {
			die("bad built-in default for %s", k->name);
		}
	}
}

static const struct ct_key *
find_key(const struct ct_key *tab, size_t n, const char *path, size_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tab[i].name, path) == 0) {
			*idx = i;
			return &tab[i];
		}
	}
	return NULL;
}

static bool
is_group_prefix(const struct ct_key *tab, size_t n, const char *path)
{
	size_t len = strlen(path);

	for (size_t i = 0; i < n; i++)
		if (strncmp(tab[i].name, path, len) == 0 && tab[i].name[len] == '.')
			return true;
	return false;
}

/* Text form of a scalar libconfig setting, or NULL if it has none. */
static const char *
scalar_text(const config_setting_t *s, char *buf, size_t size)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		return config_setting_get_string(s);
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long v = config_setting_get_int64(s);
		if (v < 0)
			return "-";
		snprintf(buf, size, "%lld", v);
		return buf;
	}
	case CONFIG_TYPE_BOOL:
		return config_setting_get_bool(s) ? "true" : "false";
	default:
		return NULL;
	}
}

static void
load_setting(const struct ct_key *k, void *obj, const config_setting_t *s,
    const char *file, struct ct_errors *errs)
{
	int line = config_setting_source_line(s);
	char buf[32];
	const char *text, *why;

	if (is_list(k) && (config_setting_is_array(s) || config_setting_is_list(s))) {
		int cnt = config_setting_length(s);

		free_value(k, obj);
		for (int j = 0; j < cnt; j++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)j);

			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				ct_error(errs, file, line, k->name, "element %d: expected a string", j + 1);
				continue;
			}
			text = config_setting_get_string(e);
			if (k->type == CT_LOOKUP && strncmp(text, "file:", 5) == 0)
				lookup_file(k, obj, text, file, errs);
			else if ((why = set_text(k, obj, text, true)) != NULL)
				ct_error(errs, file, line, k->name, "element %d: \"%s\": %s", j + 1, text, why);
		}
		if (k->type == CT_LOOKUP && *FIELD(obj, k, struct lookup *) == NULL)
			*FIELD(obj, k, struct lookup *) = lookup_new((enum lookup_kind)k->min);
		finish_value(k, obj);
		return;
	}
	if (k->type == CT_SCORE && (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64 || config_setting_type(s) == CONFIG_TYPE_FLOAT)) {
		double d = config_setting_type(s) == CONFIG_TYPE_FLOAT ?
		    config_setting_get_float(s) : (double)config_setting_get_int64(s);
		double c = d * 100.0;
		long r = (long)(c < 0 ? c - 0.5 : c + 0.5);
		if (c > SCORE_LIMIT || c < -SCORE_LIMIT || c - (double)r > 1e-6 || (double)r - c > 1e-6) {
			ct_error(errs, file, line, k->name, "expected a score (-1000 to 1000, at most 2 decimals) or \"off\"");
			return;
		}
		*FIELD(obj, k, int) = (int)r;
		return;
	}
	text = scalar_text(s, buf, sizeof(buf));
	if (text == NULL) {
		ct_error(errs, file, line, k->name, "expected %s", is_list(k) ? "a list of strings" : "a single value");
		return;
	}
	if ((k->type == CT_STRING || k->type == CT_OCTAL || k->type == CT_ACTION ||
	    k->type == CT_ENUM || k->type == CT_FACILITY || is_list(k)) &&
	    config_setting_type(s) != CONFIG_TYPE_STRING) {
		ct_error(errs, file, line, k->name, "expected a quoted string");
		return;
	}
	if (k->type == CT_BOOL && config_setting_type(s) != CONFIG_TYPE_BOOL) {
		ct_error(errs, file, line, k->name, "expected true or false");
		return;
	}
	if (k->type == CT_UINT && config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		ct_error(errs, file, line, k->name, "expected an integer");
		return;
	}
	if (k->type == CT_LOOKUP && strncmp(text, "file:", 5) == 0) {
		free_value(k, obj);
		lookup_file(k, obj, text, file, errs);
	} else if (k->type == CT_LOOKUP && *text == '\0') {
		free_value(k, obj);    /* "" empties an inherited list */
		*FIELD(obj, k, struct lookup *) = lookup_new((enum lookup_kind)k->min);
	} else if ((why = set_text(k, obj, text, false)) != NULL) {
		ct_error(errs, file, line, k->name, "%s", why);
	}
	finish_value(k, obj);
}

static void
walk(const struct ct_key *tab, size_t n, void *obj, const config_setting_t *grp,
    const char *prefix, const char *file, bool *set, struct ct_errors *errs)
{
	int cnt = config_setting_length(grp);

	for (int i = 0; i < cnt; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		const char *sfile = config_setting_source_file(s);
		char path[128];
		size_t idx;
		const struct ct_key *k;

		if (sfile == NULL)
			sfile = file;
		if (name == NULL)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s", prefix, name) >= sizeof(path)) {
			ct_error(errs, sfile, config_setting_source_line(s), name, "key name too long");
			continue;
		}
		if (config_setting_is_group(s)) {
			if (!is_group_prefix(tab, n, path)) {
				ct_error(errs, sfile, config_setting_source_line(s), path, "unknown group");
				continue;
			}
			char sub[130];
			snprintf(sub, sizeof(sub), "%s.", path);
			walk(tab, n, obj, s, sub, sfile, set, errs);
			continue;
		}
		if ((k = find_key(tab, n, path, &idx)) == NULL) {
			ct_error(errs, sfile, config_setting_source_line(s), path, "unknown key");
			continue;
		}
		if (k->type == CT_ALIAS) {
			ct_warning(errs, sfile, config_setting_source_line(s), path,
			    "deprecated name, use %s", k->def);
			if ((k = find_key(tab, n, k->def, &idx)) == NULL)
				die("alias %s names no key", path);
		}
		load_setting(k, obj, s, sfile, errs);
		if (set != NULL)
			set[idx] = true;
	}
}

bool
ct_load(const struct ct_key *tab, size_t n, void *obj, const char *path,
    bool *set, struct ct_errors *errs)
{
	config_t cf;
	unsigned before = errs->count;

	config_init(&cf);
	errno = 0;
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		int e = errno;
		const char *efile = config_error_file(&cf);
		struct stat sb;

		/* libconfig opens a directory and reports an I/O error with
		 * errno left at 0 */
		if (e == 0)
			e = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? EISDIR : EIO;
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			ct_error(errs, path, 0, "file", "cannot read: %s", strerror(e));
		else
			ct_error(errs, efile != NULL ? efile : path, config_error_line(&cf),
			    "syntax", "%s", config_error_text(&cf));
		config_destroy(&cf);
		return false;
	}
	walk(tab, n, obj, config_root_setting(&cf), "", path, set, errs);
	config_destroy(&cf);
	return errs->count == before;
}

void
ct_copy_key(const struct ct_key *tab, size_t i, void *dst, const void *src)
{
	const struct ct_key *k = &tab[i];

	free_value(k, dst);
	switch (k->type) {
	case CT_STRING: {
		const char *s = *CFIELD(src, k, char *);
		*FIELD(dst, k, char *) = s != NULL ? xstrdup(s) : NULL;
		break;
	}
	case CT_STRLIST:
	case CT_SCORELIST: {
		const struct strlist *l = CFIELD(src, k, struct strlist);
		for (size_t j = 0; j < l->n; j++)
			strlist_add(FIELD(dst, k, struct strlist), l->v[j]);
		break;
	}
	case CT_CIDRLIST: {
		const struct cidr_list *l = CFIELD(src, k, struct cidr_list);
		for (size_t j = 0; j < l->n; j++)
			cidr_list_add(FIELD(dst, k, struct cidr_list), &l->v[j]);
		break;
	}
	case CT_LOOKUP:
		*FIELD(dst, k, struct lookup *) = lookup_ref(*(struct lookup *const *)CFIELD(src, k, struct lookup *));
		break;
	case CT_BOOL:
		*FIELD(dst, k, bool) = *CFIELD(src, k, bool);
		break;
	case CT_UINT:
	case CT_SIZE:
	case CT_OCTAL:
	case CT_FLAGS:
		*FIELD(dst, k, unsigned long long) = *CFIELD(src, k, unsigned long long);
		break;
	case CT_ACTION:
		*FIELD(dst, k, enum action) = *CFIELD(src, k, enum action);
		break;
	case CT_ENUM:
	case CT_FACILITY:
	case CT_SCORE:
		*FIELD(dst, k, int) = *CFIELD(src, k, int);
		break;
	case CT_ALIAS:
		break;
	}
}

void
ct_free(const struct ct_key *tab, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++)
		free_value(&tab[i], obj);
}

static void
print_quoted(strbuf *out, const char *s)
{
	sb_putc(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_putc(out, '\\');
		sb_putc(out, *s);
	}
	sb_putc(out, '"');
}

void
ct_print(const struct ct_key *tab, size_t n, const void *obj, strbuf *out)
{
	static const char *const fac_names[] = { "mail", "daemon", "user",
		"local0", "local1", "local2", "local3", "local4", "local5",
		"local6", "local7" };

	const char *group = NULL;   /* open group name, printed as "g = {" */
	size_t glen = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ct_key *k = &tab[i];
		const char *dot = strchr(k->name, '.');
		char addr[64];

		if (k->type == CT_ALIAS)
			continue;
		if (group != NULL && (dot == NULL || (size_t)(dot - k->name) != glen ||
		    strncmp(k->name, group, glen) != 0)) {
			sb_puts(out, "};\n");
			group = NULL;
		}
		if (dot != NULL && group == NULL) {
			group = k->name;
			glen = (size_t)(dot - k->name);
			sb_printf(out, "%.*s = {\n", (int)glen, group);
		}
		if (group != NULL)
			sb_printf(out, "  %s = ", dot + 1);
		else
			sb_printf(out, "%s = ", k->name);
		switch (k->type) {
		case CT_ALIAS:
			break;
		case CT_STRING: {
			const char *s = *CFIELD(obj, k, char *);
			print_quoted(out, s != NULL ? s : "");
			break;
		}
		case CT_BOOL:
			sb_puts(out, *CFIELD(obj, k, bool) ? "true" : "false");
			break;
		case CT_UINT:
		case CT_SIZE:
			sb_printf(out, "%llu", *CFIELD(obj, k, unsigned long long));
			break;
		case CT_OCTAL:
			sb_printf(out, "\"%04llo\"", *CFIELD(obj, k, unsigned long long));
			break;
		case CT_ACTION:
			sb_printf(out, "\"%s\"", action_name(*CFIELD(obj, k, enum action)));
			break;
		case CT_ENUM:
			sb_printf(out, "\"%s\"", k->choices[*CFIELD(obj, k, int)]);
			break;
		case CT_FACILITY: {
			int f = *CFIELD(obj, k, int), found = -1;
			for (size_t j = 0; j < NELEM(fac_names); j++) {
				int v;
				if (log_facility_parse(fac_names[j], &v) && v == f)
					found = (int)j;
			}
			sb_printf(out, "\"%s\"", found >= 0 ? fac_names[found] : "?");
			break;
		}
		case CT_SCORE: {
			char sc[SCORE_TEXT_MAX];
			int v = *CFIELD(obj, k, int);
			sb_printf(out, "\"%s\"", v == SCORE_OFF ? "off" : score_format(v, sc));
			break;
		}
		case CT_STRLIST:
		case CT_SCORELIST: {
			const struct strlist *l = CFIELD(obj, k, struct strlist);
			sb_putc(out, '[');
			for (size_t j = 0; j < l->n; j++) {
				sb_puts(out, j ? ", " : " ");
				print_quoted(out, l->v[j]);
			}
			sb_puts(out, l->n ? " ]" : "]");
			break;
		}
		case CT_CIDRLIST: {
			const struct cidr_list *l = CFIELD(obj, k, struct cidr_list);
			sb_putc(out, '[');
			for (size_t j = 0; j < l->n; j++) {
				inet_ntop_cidr(&l->v[j], addr, sizeof(addr));
				sb_printf(out, "%s\"%s\"", j ? ", " : " ", addr);
			}
			sb_puts(out, l->n ? " ]" : "]");
			break;
		}
		case CT_FLAGS: {
			unsigned long long f = *CFIELD(obj, k, unsigned long long);
			size_t cnt = 0;
			sb_putc(out, '[');
			for (size_t j = 0; k->choices[j] != NULL; j++) {
				if (!(f & (1ULL << j)))
					continue;
				sb_printf(out, "%s\"%s\"", cnt++ ? ", " : " ", k->choices[j]);
			}
			sb_puts(out, cnt ? " ]" : "]");
			break;
		}
		case CT_LOOKUP: {
			const struct lookup *lk = *CFIELD(obj, k, struct lookup *);
			const char *src;
			bool is_file;
			size_t j;
			sb_putc(out, '[');
			for (j = 0; (src = lookup_source(lk, j, &is_file)) != NULL; j++) {
				sb_puts(out, j ? ", " : " ");
				print_quoted(out, src);
			}
			sb_puts(out, j ? " ]" : "]");
			sb_printf(out, "; // %zu entr%s\n", lookup_count(lk),
			    lookup_count(lk) == 1 ? "y" : "ies");
			continue;
		}
		}
		sb_puts(out, ";\n");
	}
	if (group != NULL)
		sb_puts(out, "};\n");
}

void
ct_print_reference(const struct ct_key *tab, size_t n, strbuf *out)
{
	sb_puts(out, "| key | default | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		const struct ct_key *k = &tab[i];
		if (k->type == CT_ALIAS) {
			sb_printf(out, "| `%s` | | deprecated name of `%s` |\n", k->name, k->def);
			continue;
		}
		if (k->def != NULL && k->def[0] != '\0')
			sb_printf(out, "| `%s` | `%s` | %s", k->name, k->def, k->help);
		else
			sb_printf(out, "| `%s` | (none) | %s", k->name, k->help);
		if ((k->type == CT_UINT || k->type == CT_SIZE) && k->max != 0)
			sb_printf(out, " (%llu to %llu)", k->min, k->max);
		if (k->type == CT_ENUM || k->type == CT_FLAGS) {
			sb_puts(out, k->type == CT_FLAGS ? " (any of: " : " (");
			for (size_t j = 0; k->choices[j] != NULL; j++)
				sb_printf(out, "%s%s", j ? ", " : "", k->choices[j]);
			sb_putc(out, ')');
		}
		sb_puts(out, " |\n");
	}
}
