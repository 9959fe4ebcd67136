/*
 * import.c - `postern import opendkim FILE` (import.h).  Reads the
 * opendkim.conf(5) keys that have a postern equivalent (Socket, UserID,
 * UMask, PidFile, SyslogFacility, AuthservID, Canonicalization,
 * MinimumKeyBits, SubDomains, Mode, Domain/Selector/KeyFile, KeyTable,
 * SigningTable, InternalHosts, ExternalIgnoreList) and writes the
 * postern.conf lines; every other key, and every data set entry postern
 * cannot express, becomes a "# not imported:" comment.  Data sets are
 * read from file:, refile: or plain paths, or taken as comma-separated
 * lists (csl: or bare); db:, ldap:, lua: and the like are not imported.
 * Input is untrusted text: values reach the output only quoted (libconfig
 * escapes) or escaped in comments.  Called by main.c; the converter is
 * fuzzed by tests/fuzz/fuzz_import.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/cidr.h"
#include "postern/import.h"

#define MAX_VALUE 4096   /* longest value taken from a line */

struct span {
	const char *p;
	size_t n;
};

struct ctx {
	import_read_fn rd;
	void *arg;
	strbuf notes;       /* "# not imported: ..." lines */
	unsigned nnotes;
	strbuf keys;        /* the dkim.keys entries, quoted, comma-separated */
	unsigned nkeys;
};

/* libconfig string: printable ASCII, \" \\ and \xHH for the rest */
static void
quoted(strbuf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sb_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\') {
			sb_putc(out, '\\');
			sb_putc(out, (char)c);
		} else if (c >= 0x20 && c < 0x7f) {
			sb_putc(out, (char)c);
		} else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sb_append(out, e, 4);
		}
	}
	sb_putc(out, '"');
}

static void
note(struct ctx *x, const char *what, const char *p, size_t n)
{
	sb_printf(&x->notes, "# not imported: %s", what);
	if (p != NULL) {
		sb_puts(&x->notes, ": ");
		sb_escape(&x->notes, p, n, 200);
	}
	sb_putc(&x->notes, '\n');
	x->nnotes++;
}

static bool
span_eq(struct span s, const char *lit)
{
	return mem_caseeq(s.p, s.n, lit);
}

static struct span
trim(const char *p, size_t n)
{
	while (n > 0 && isspace((unsigned char)*p))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	return (struct span){ p, n };
}

/* Next line of [*pos, end) without its comment; false at the end. */
static bool
next_line(const char **pos, const char *end, struct span *line)
{
	const char *p = *pos, *nl, *hash;

	if (p >= end)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	*pos = nl < end ? nl + 1 : end;
	hash = memchr(p, '#', (size_t)(nl - p));
	*line = trim(p, (size_t)((hash != NULL ? hash : nl) - p));
	return true;
}

/* Split "word rest" at the first white space. */
static void
split(struct span line, struct span *first, struct span *rest)
{
	size_t i = 0;

	while (i < line.n && !isspace((unsigned char)line.p[i]))
		i++;
	*first = (struct span){ line.p, i };
	*rest = trim(line.p + i, line.n - i);
}

/* A data set value: a file's lines into *owned (returns its text), or the
 * comma list itself; NULL when postern cannot read that kind. */
static bool
dataset(struct ctx *x, const char *what, struct span v, strbuf *owned, bool *is_file)
{
	char path[1024];
	const char *p = v.p;
	size_t n = v.n;

	*is_file = false;
	if (n > 5 && strncasecmp(p, "file:", 5) == 0)
		p += 5, n -= 5, *is_file = true;
	else if (n > 7 && strncasecmp(p, "refile:", 7) == 0)
		p += 7, n -= 7, *is_file = true;
	else if (n > 0 && p[0] == '/')
		*is_file = true;
	else if (n > 4 && strncasecmp(p, "csl:", 4) == 0) {
		sb_append(owned, p + 4, n - 4);
		return true;
	} else if (memchr(p, ':', n) != NULL && !(n > 0 && isdigit((unsigned char)p[0]))) {
		/* db:, ldap:, lua:, dsn:, ... (an IPv6 address starts with a digit or ':') */
		note(x, what, v.p, v.n);
		return false;
	} else {
		sb_append(owned, p, n);
		return true;
	}
	if (n == 0 || n >= sizeof(path)) {
		note(x, what, v.p, v.n);
		return false;
	}
	memcpy(path, p, n);
	path[n] = '\0';
	if (x->rd == NULL || !x->rd(path, owned, x->arg)) {
		note(x, "cannot read the data set", v.p, v.n);
		return false;
	}
	return true;
}

/* InternalHosts / ExternalIgnoreList -> a quoted CIDR list */
static void
hosts(struct ctx *x, const char *what, struct span v, strbuf *out)
{
	strbuf data;
	bool is_file, first = out->len == 0;
	const char *pos, *end;
	struct span line;

	sb_init(&data);
	if (!dataset(x, what, v, &data, &is_file)) {
		sb_free(&data);
		return;
	}
	pos = data.s != NULL ? data.s : "";
	end = pos + data.len;
	while (next_line(&pos, end, &line)) {
		const char *p = line.p, *e = line.p + line.n;

		/* a file has one entry a line, a list is comma-separated */
		while (p < e) {
			const char *c = is_file ? e : memchr(p, ',', (size_t)(e - p));
			struct span item;
			struct cidr cidr;

			if (c == NULL)
				c = e;
			item = trim(p, (size_t)(c - p));
			p = c < e ? c + 1 : e;
			if (item.n == 0)
				continue;
			if (item.p[0] == '!') {
				note(x, "a negated entry (postern lists have no exceptions)", item.p, item.n);
			} else if (cidr_parse(item.p, item.n, &cidr) == CIDR_OK) {
				sb_puts(out, first ? " " : ", ");
				quoted(out, item.p, item.n);
				first = false;
			} else {
				note(x, "not an address or network (host names are not resolved)", item.p, item.n);
			}
		}
	}
	sb_free(&data);
}

struct keyrow {
	struct span name, domain, selector, path;
};

/* "name domain:selector:/path" */
static bool
keytable_line(struct span line, struct keyrow *k)
{
	struct span rest;
	const char *c1, *c2;

	split(line, &k->name, &rest);
	if (k->name.n == 0 || rest.n == 0)
		return false;
	c1 = memchr(rest.p, ':', rest.n);
	if (c1 == NULL)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(rest.p + rest.n - c1 - 1));
	if (c2 == NULL)
		return false;
	k->domain = (struct span){ rest.p, (size_t)(c1 - rest.p) };
	k->selector = (struct span){ c1 + 1, (size_t)(c2 - c1 - 1) };
	k->path = (struct span){ c2 + 1, (size_t)(rest.p + rest.n - c2 - 1) };
	return k->domain.n > 0 && k->selector.n > 0 && k->path.n > 0;
}

/* every byte of s is in set (s is not NUL-terminated) */
static bool
all_of(struct span s, const char *set)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '\0' || strchr(set, s.p[i]) == NULL)
			return false;
	return s.n > 0;
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

static void
add_key(struct ctx *x, struct span d, struct span s, struct span path)
{
	strbuf row;

	if (path.n == 0 || path.p[0] != '/' || !all_of(d, NAME_CHARS) || !all_of(s, NAME_CHARS)) {
		note(x, "a key that is not domain:selector:/path/to/key.pem", d.p, d.n);
		return;
	}
	sb_init(&row);
	sb_append(&row, d.p, d.n);
	sb_putc(&row, ':');
	sb_append(&row, s.p, s.n);
	sb_putc(&row, ':');
	sb_append(&row, path.p, path.n);
	sb_puts(&x->keys, x->nkeys ? ",\n           " : "");
	quoted(&x->keys, row.s, row.len);
	x->nkeys++;
	sb_free(&row);
}

/* The domain a SigningTable pattern names: "*@example.com", "@example.com",
 * "example.com", "user@example.com"; sets *sub for "*.example.com". */
static struct span
pattern_domain(struct span pat, bool *sub)
{
	const char *at = memchr(pat.p, '@', pat.n);
	struct span d = at != NULL ? (struct span){ at + 1, (size_t)(pat.p + pat.n - at - 1) } : pat;

	*sub = false;
	if (d.n >= 2 && d.p[0] == '*' && d.p[1] == '.') {
		*sub = true;
		d.p += 2;
		d.n -= 2;
	}
	return d;
}

/* KeyTable + SigningTable: the keys postern should sign with */
static void
keys(struct ctx *x, struct span kt, struct span st, bool *want_sub)
{
	strbuf ktext, stext;
	bool is_file;
	const char *pos, *end;
	struct span line;
	struct keyrow rows[256];
	size_t nrows = 0;
	bool used[256] = { false };

	sb_init(&ktext);
	sb_init(&stext);
	if (!dataset(x, "KeyTable", kt, &ktext, &is_file))
		goto out;
	pos = ktext.s != NULL ? ktext.s : "";
	end = pos + ktext.len;
	while (next_line(&pos, end, &line)) {
		if (line.n == 0)
			continue;
		if (nrows == sizeof(rows) / sizeof(rows[0])) {
			note(x, "KeyTable rows after the first 256", line.p, line.n);
			continue;
		}
		if (!keytable_line(line, &rows[nrows]))
			note(x, "a KeyTable row that is not \"name domain:selector:/path\"", line.p, line.n);
		else
			nrows++;
	}
	if (st.n == 0) {
		note(x, "KeyTable without SigningTable (opendkim signs nothing then)", NULL, 0);
		goto out;
	}
	if (!dataset(x, "SigningTable", st, &stext, &is_file))
		goto out;
	pos = stext.s != NULL ? stext.s : "";
	end = pos + stext.len;
	while (next_line(&pos, end, &line)) {
		struct span pat, name, d;
		bool sub, found = false;

		if (line.n == 0)
			continue;
		split(line, &pat, &name);
		d = pattern_domain(pat, &sub);
		for (size_t i = 0; i < nrows; i++) {
			if (rows[i].name.n != name.n || memcmp(rows[i].name.p, name.p, name.n) != 0)
				continue;
			found = true;
			if (rows[i].domain.n != d.n || strncasecmp(rows[i].domain.p, d.p, d.n) != 0) {
				note(x, "a SigningTable row signing one domain's mail with another's key "
				    "(postern signs mail with the keys of its From domain)", line.p, line.n);
			} else {
				if (sub)
					*want_sub = true;
				if (!used[i])
					add_key(x, rows[i].domain, rows[i].selector, rows[i].path);
				used[i] = true;
			}
		}
		if (!found)
			note(x, "a SigningTable row naming no KeyTable key", line.p, line.n);
	}
out:
	sb_free(&ktext);
	sb_free(&stext);
}

static void
setting_str(strbuf *out, const char *key, struct span v)
{
	sb_printf(out, "%s = ", key);
	quoted(out, v.p, v.n);
	sb_puts(out, ";\n");
}

/* a key given twice: the last one counts, the note says so */
static void
set_once(struct ctx *x, struct span *slot, struct span k, struct span v)
{
	if (slot->n > 0)
		note(x, "a repeated key (the last one is used)", k.p, k.n);
	*slot = v;
}

static void
main_settings(struct ctx *x, strbuf *out, struct span sock, struct span user, struct span um,
    struct span pidfile, struct span facility, struct span authserv)
{
	if (sock.n > 6 && strncasecmp(sock.p, "local:", 6) == 0) {
		strbuf s;

		sb_init(&s);
		sb_puts(&s, "unix:");
		sb_append(&s, sock.p + 6, sock.n - 6);
		setting_str(out, "socket", (struct span){ s.s, s.len });
		sb_free(&s);
	} else if (sock.n > 0) {
		setting_str(out, "socket", sock);   /* inet:PORT@ADDR, unix:/path */
	}
	if (user.n > 0) {
		const char *colon = memchr(user.p, ':', user.n);

		setting_str(out, "user", (struct span){ user.p, colon ? (size_t)(colon - user.p) : user.n });
	}
	if (um.n > 0) {
		char tmp[16];
		unsigned long u;
		char *e;

		if (um.n >= sizeof(tmp) || !all_of(um, "01234567")) {
			note(x, "UMask", um.p, um.n);
		} else {
			memcpy(tmp, um.p, um.n);
			tmp[um.n] = '\0';
			u = strtoul(tmp, &e, 8);
			if (u > 0777)
				note(x, "UMask", um.p, um.n);
			else
				sb_printf(out, "socket_mode = \"0%03lo\";\n", 0666ul & ~u);
		}
	}
	if (pidfile.n > 0)
		setting_str(out, "pid_file", pidfile);
	if (facility.n > 0)
		setting_str(out, "syslog_facility", facility);
	if (authserv.n > 0 && !span_eq(authserv, "HOSTNAME"))   /* postern's default too */
		setting_str(out, "authserv_id", authserv);
}

unsigned
import_opendkim(const char *text, size_t len, import_read_fn rd, void *arg, strbuf *out)
{
	struct ctx x = { rd, arg, { NULL, 0, 0 }, 0, { NULL, 0, 0 }, 0 };
	struct span kt = { "", 0 }, st = { "", 0 }, dom = { "", 0 }, sel = { "", 0 }, kf = { "", 0 };
	struct span canon = { "", 0 }, minbits = { "", 0 }, subdomains = { "", 0 };
	struct span sock = { "", 0 }, user = { "", 0 }, umask_ = { "", 0 }, pidfile = { "", 0 };
	struct span facility = { "", 0 }, authserv = { "", 0 };
	strbuf internal, external;
	const char *pos = text, *end = text + len;
	struct span line;
	bool want_sub = false, have_internal = false, have_external = false;

	sb_init(&internal);
	sb_init(&external);
	sb_init(&x.notes);
	sb_init(&x.keys);
	while (next_line(&pos, end, &line)) {
		struct span k, v;

		if (line.n == 0)
			continue;
		split(line, &k, &v);
		if (v.n > MAX_VALUE) {
			note(&x, "a value over 4096 bytes", k.p, k.n);
			continue;
		}
		if (span_eq(k, "Socket")) {
			set_once(&x, &sock, k, v);
		} else if (span_eq(k, "UserID")) {
			set_once(&x, &user, k, v);
		} else if (span_eq(k, "UMask")) {
			set_once(&x, &umask_, k, v);
		} else if (span_eq(k, "PidFile")) {
			set_once(&x, &pidfile, k, v);
		} else if (span_eq(k, "SyslogFacility")) {
			set_once(&x, &facility, k, v);
		} else if (span_eq(k, "AuthservID")) {
			set_once(&x, &authserv, k, v);
		} else if (span_eq(k, "Canonicalization")) {
			set_once(&x, &canon, k, v);
		} else if (span_eq(k, "MinimumKeyBits")) {
			set_once(&x, &minbits, k, v);
		} else if (span_eq(k, "SubDomains")) {
			set_once(&x, &subdomains, k, v);
		} else if (span_eq(k, "KeyTable")) {
			set_once(&x, &kt, k, v);
		} else if (span_eq(k, "SigningTable")) {
			set_once(&x, &st, k, v);
		} else if (span_eq(k, "Domain")) {
			set_once(&x, &dom, k, v);
		} else if (span_eq(k, "Selector")) {
			set_once(&x, &sel, k, v);
		} else if (span_eq(k, "KeyFile")) {
			set_once(&x, &kf, k, v);
		} else if (span_eq(k, "InternalHosts")) {
			have_internal = true;
			hosts(&x, "InternalHosts", v, &internal);
		} else if (span_eq(k, "ExternalIgnoreList")) {
			have_external = true;
			hosts(&x, "ExternalIgnoreList", v, &external);
		} else if (span_eq(k, "Mode")) {
			if (memchr(v.p, 's', v.n) == NULL || memchr(v.p, 'v', v.n) == NULL)
				note(&x, "Mode (postern signs outbound and verifies inbound mail, always)", v.p, v.n);
		} else if (span_eq(k, "Syslog") || span_eq(k, "SyslogSuccess") || span_eq(k, "LogWhy")) {
			continue;   /* postern always logs one summary line per message */
		} else {
			note(&x, "a key without a postern equivalent (docs/MIGRATION.md)", line.p, line.n);
		}
	}

	if (kt.n > 0)
		keys(&x, kt, st, &want_sub);
	if (dom.n > 0 || sel.n > 0 || kf.n > 0) {
		if (dom.n == 0 || sel.n == 0 || kf.n == 0) {
			note(&x, "Domain, Selector and KeyFile must all be set", NULL, 0);
		} else {
			strbuf d;
			bool is_file;
			const char *p, *e;
			struct span l;

			sb_init(&d);
			if (dataset(&x, "Domain", dom, &d, &is_file)) {
				p = d.s != NULL ? d.s : "";
				e = p + d.len;
				while (next_line(&p, e, &l)) {
					const char *q = l.p, *qe = l.p + l.n;
					while (q < qe) {
						const char *c = memchr(q, ',', (size_t)(qe - q));
						struct span item;

						if (c == NULL)
							c = qe;
						item = trim(q, (size_t)(c - q));
						q = c < qe ? c + 1 : qe;
						if (item.n > 0)
							add_key(&x, item, sel, kf);
					}
				}
			}
			sb_free(&d);
		}
	}

	sb_puts(out, "# postern.conf from an opendkim.conf (postern import opendkim);\n"
	    "# add policy_dir and the rest, then check with postern -t -c FILE\n");
	main_settings(&x, out, sock, user, umask_, pidfile, facility, authserv);
	if (have_internal) {
		sb_puts(out, "internal_hosts = [");
		sb_append(out, internal.s != NULL ? internal.s : "", internal.len);
		sb_puts(out, " ];\n");
	}
	if (have_external) {
		sb_puts(out, "trusted_hosts = [");
		sb_append(out, external.s != NULL ? external.s : "", external.len);
		sb_puts(out, " ];\n");
	}
	sb_puts(out, "dkim = {\n");
	sb_puts(out, "  keys = [ ");
	sb_append(out, x.keys.s != NULL ? x.keys.s : "", x.keys.len);
	sb_puts(out, " ];\n");
	if (want_sub || (subdomains.n > 0 && (span_eq(subdomains, "yes") || span_eq(subdomains, "true") ||
	    span_eq(subdomains, "1"))))
		sb_puts(out, "  sign_subdomains = true;\n");
	if (canon.n > 0) {
		/* opendkim: "header/body"; a lone value is the header's, body simple */
		const char *slash = memchr(canon.p, '/', canon.n);
		struct span h = slash ? (struct span){ canon.p, (size_t)(slash - canon.p) } : canon;
		struct span b = slash ? (struct span){ slash + 1, (size_t)(canon.p + canon.n - slash - 1) }
				      : (struct span){ "simple", 6 };

		if ((span_eq(h, "relaxed") || span_eq(h, "simple")) &&
		    (span_eq(b, "relaxed") || span_eq(b, "simple"))) {
			sb_puts(out, "  canonicalization = \"");
			sb_puts(out, span_eq(h, "relaxed") ? "relaxed/" : "simple/");
			sb_puts(out, span_eq(b, "relaxed") ? "relaxed" : "simple");
			sb_puts(out, "\";\n");
		} else {
			note(&x, "Canonicalization", canon.p, canon.n);
		}
	}
	if (minbits.n > 0) {
		if (minbits.n <= 5 && all_of(minbits, "0123456789")) {
			sb_puts(out, "  min_key_bits = ");
			sb_append(out, minbits.p, minbits.n);
			sb_puts(out, ";\n");
		} else {
			note(&x, "MinimumKeyBits", minbits.p, minbits.n);
		}
	}
	sb_puts(out, "};\n");
	sb_append(out, x.notes.s != NULL ? x.notes.s : "", x.notes.len);
	sb_free(&internal);
	sb_free(&external);
	sb_free(&x.keys);
	sb_free(&x.notes);
	return x.nnotes;
}

#define MAX_FILE (16u << 20)

static bool
read_file(const char *path, strbuf *out, void *arg)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n;

	(void)arg;
	if (f == NULL)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (out->len + n > MAX_FILE) {
			fclose(f);
			return false;
		}
		sb_append(out, buf, n);
	}
	fclose(f);
	return true;
}

int
import_main(int argc, char **argv)
{
	strbuf in, out;
	unsigned notes;

	if (argc != 3 || strcmp(argv[1], "opendkim") != 0) {
		fprintf(stderr, "usage: postern import opendkim /etc/opendkim.conf\n");
		return 2;
	}
	sb_init(&in);
	sb_init(&out);
	if (!read_file(argv[2], &in, NULL)) {
		fprintf(stderr, "postern import: %s: %s\n", argv[2], errno ? strerror(errno) : "too large");
		sb_free(&in);
		return 1;
	}
	notes = import_opendkim(in.s != NULL ? in.s : "", in.len, read_file, NULL, &out);
	fwrite(out.s, 1, out.len, stdout);
	if (notes)
		fprintf(stderr, "postern import: %u item(s) not imported, listed as comments\n", notes);
	sb_free(&in);
	sb_free(&out);
	return fflush(stdout) == 0 ? 0 : 1;
}
