/*
 * check_attach.c - check "attach": the attachment screen.
 *
 * Owns struct attach (its message state, check.h): the MIME scanner
 * fed with the message's Content-* header fields and its body chunks, and
 * the verdict a scanner event asked for.  Decisions, as early as the data
 * allows (from the body callback, never waiting for end of message):
 *   blocked extension (also inside zip archives) or type -> blocked_action,
 *       554 5.7.1 naming the file;
 *   a decoded part over max_attachment_size, all parts over
 *       max_attachments_total -> oversize_action, 552 5.3.4 naming the limit;
 *   a zip part that cannot be listed to its end -> zip_broken_action,
 *       554 5.7.1 naming the archive;
 *   a MIME limit crossed -> mime_limit_action, 554 5.6.0.
 * Every governing policy is asked; the strictest answer wins.  The facts
 * go to the summary line and to attach_facts() for the spam screen.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/check_attach.h"

#define NAME "attach"

/* Each policy's attachment block (docs/ATTACHMENTS.md). */
struct attach_policy {
	unsigned long long max_attachment_size;   /* decoded bytes per part; 0 = unlimited */
	unsigned long long max_attachments_total; /* decoded bytes of all parts; 0 = unlimited */
	struct strlist blocked_extensions;
	struct strlist blocked_types;
	enum action blocked_action;
	enum action mime_limit_action;
	enum action zip_broken_action;
	unsigned long long mime_max_depth, mime_max_parts, mime_max_header_line,
	    mime_max_header_bytes, mime_max_boundary, mime_max_filename, zip_max_entries;
};

#define OFF(f) offsetof(struct attach_policy, f)
static const struct ct_key attach_keys[] = {
	{ "max_attachment_size", CT_SIZE, OFF(max_attachment_size), "0", 0, 1ULL << 40, NULL,
	  "largest decoded MIME part (any leaf part); 0 = unlimited; over it: oversize_action, 552 5.3.4" },
	{ "max_attachments_total", CT_SIZE, OFF(max_attachments_total), "0", 0, 1ULL << 40, NULL,
	  "largest sum of decoded MIME parts; 0 = unlimited; over it: oversize_action, 552 5.3.4" },
	{ "blocked_extensions", CT_STRLIST, OFF(blocked_extensions), NULL, 0, 0, NULL,
	  "file name extensions refused in attachments and inside zip archives (case-insensitive)" },
	{ "blocked_types", CT_STRLIST, OFF(blocked_types), NULL, 0, 0, NULL,
	  "MIME types refused (\"type/subtype\" or \"type/*\")" },
	{ "blocked_action", CT_ACTION, OFF(blocked_action), "reject", 0, 0, NULL,
	  "what a blocked attachment gets: reject (554 5.7.1), quarantine, tag" },
	{ "mime_limit_action", CT_ACTION, OFF(mime_limit_action), "reject", 0, 0, NULL,
	  "what a message over a MIME limit gets (reject = 554 5.6.0)" },
	{ "zip_broken_action", CT_ACTION, OFF(zip_broken_action), "reject", 0, 0, NULL,
	  "what a zip attachment that cannot be listed to its end gets (no end record where readers "
	  "look, a directory other than the one walked, a local header that lies about its size; "
	  "reject = 554 5.7.1)" },
	{ "mime_max_depth", CT_UINT, OFF(mime_max_depth), MIME_STR(MIME_DEF_DEPTH), 1, 100, NULL,
	  "deepest nesting of multipart and message parts" },
	{ "mime_max_parts", CT_UINT, OFF(mime_max_parts), MIME_STR(MIME_DEF_PARTS), 1, 100000, NULL,
	  "most MIME parts (entities) in one message" },
	{ "mime_max_header_line", CT_UINT, OFF(mime_max_header_line), MIME_STR(MIME_DEF_HEADER_LINE), 78, 1000000, NULL,
	  "longest physical line in a MIME part's header, bytes" },
	{ "mime_max_header_bytes", CT_UINT, OFF(mime_max_header_bytes), MIME_STR(MIME_DEF_HEADER_BYTES), 256, 10000000, NULL,
	  "largest header block of one MIME part, bytes" },
	{ "mime_max_boundary", CT_UINT, OFF(mime_max_boundary), MIME_STR(MIME_DEF_BOUNDARY), 70, MIME_MAX_BOUNDARY, NULL,
	  "longest multipart boundary (RFC 2046 allows 70)" },
	{ "mime_max_filename", CT_UINT, OFF(mime_max_filename), MIME_STR(MIME_DEF_FILENAME), 16, 65536, NULL,
	  "longest decoded attachment file name, bytes" },
	{ "zip_max_entries", CT_UINT, OFF(zip_max_entries), MIME_STR(MIME_DEF_ZIP_ENTRIES), 1, 1000000, NULL,
	  "most entries listed in one zip attachment" },
};
#undef OFF

#define AP(p) ((const struct attach_policy *)check_policy((p), &check_attach))
#define SUMMARY_PARTS 8       /* attachments listed on the summary line */
#define NAME_LOG_MAX 64       /* bytes of a file name in logs and replies */
#define TEXT_HOOKS_MAX 4      /* checks reading the decoded text (spam, bayes) */

/* A check that reads the scanner's decoded text (attach_text_hook). */
struct text_hook {
	mime_cb part;             /* MIME_EV_PART / _PART_END, or NULL */
	mime_text_cb text;
	void *ctx;
};

struct attach {
	struct mime_scan *scan;
	const struct policy *pol[MSG_MAX_POLICIES];
	size_t npol;
	struct verdict v;         /* strictest verdict from scanner events */
	bool tagged;
	bool eoh;                 /* mime_end_headers done */
	char blocked[96];         /* first blocked name, escaped */
	struct text_hook hooks[TEXT_HOOKS_MAX];
	size_t nhooks;
};

static void
attach_reset(void *ms)
{
	struct attach *a = ms;

	mime_scan_free(a->scan);
}

const struct mime_facts *
attach_facts(const struct msg *m)
{
	const struct attach *a = check_msg_state(m, &check_attach);

	return a->scan != NULL ? mime_facts(a->scan) : NULL;
}

const char *
attach_blocked_ext(const struct strlist *exts, const char *name, size_t len)
{
	const char *base = name;

	while (len > 0 && (name[len - 1] == '.' || name[len - 1] == ' ' ||
	    name[len - 1] == '\t' || (unsigned char)name[len - 1] < 0x20))
		len--;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			base = name + i + 1;
	len -= (size_t)(base - name);
	for (size_t i = 0; i < exts->n; i++) {
		const char *e = exts->v[i];
		size_t el;

		e += *e == '.';
		el = strlen(e);
		if (el > 0 && len > el && base[len - el - 1] == '.' &&
		    strncasecmp(base + len - el, e, el) == 0)
			return exts->v[i];
	}
	return NULL;
}

const char *
attach_blocked_type(const struct strlist *types, const char *type)
{
	for (size_t i = 0; i < types->n; i++) {
		const char *t = types->v[i];
		size_t tl = strlen(t);

		if (strcasecmp(t, type) == 0)
			return t;
		if (tl >= 2 && t[tl - 1] == '*' && t[tl - 2] == '/' &&
		    strncasecmp(t, type, tl - 1) == 0)
			return t;
	}
	return NULL;
}

/* The scanner's one text callback, handed on to every hook. */
static void
on_text(void *ctx, const struct mime_part *p, const unsigned char *buf, size_t len)
{
	struct attach *a = ctx;

	for (size_t i = 0; i < a->nhooks; i++)
		a->hooks[i].text(a->hooks[i].ctx, p, buf, len);
}

bool
attach_text_hook(struct msg *m, mime_cb part, mime_text_cb text, void *ctx)
{
	struct attach *a = check_msg_state(m, &check_attach);

	if (a->scan == NULL)
		return false;
	if (a->nhooks == TEXT_HOOKS_MAX)
		abort();          /* a bug: more readers than the table has */
	a->hooks[a->nhooks++] = (struct text_hook){ part, text, ctx };
	if (a->nhooks == 1)
		mime_set_text_cb(a->scan, on_text, a);   /* decoded only when read */
	return true;
}

/* Escape a network name for a reply/log: printable ASCII except quotes. */
static void
name_text(strbuf *sb, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sb_append(sb, "", 0);   /* a string even for an empty name */
	for (size_t i = 0; i < n && i < NAME_LOG_MAX; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%')
			sb_putc(sb, (char)c);
		else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sb_append(sb, e, 4);
		}
	}
	if (n > NAME_LOG_MAX)
		sb_puts(sb, "...");
}

static void
merge(struct attach *a, struct verdict *v)
{
	if (v->action == ACT_TAG)
		a->tagged = true;
	verdict_merge(&a->v, v);
}

static void
blocked(struct attach *a, const struct policy *p, const char *what, const char *name,
    size_t nlen, const char *why)
{
	struct verdict v;
	strbuf sb;

	sb_init(&sb);
	name_text(&sb, name, nlen);
	if (a->blocked[0] == '\0')
		strlcpy_ok(a->blocked, sb.len < sizeof(a->blocked) ? sb.s : "(long name)",
		    sizeof(a->blocked));
	verdict_clear(&v);
	check_verdict(&v, NAME, p, AP(p)->blocked_action, 554, "5.7.1",
	    "%s %s is blocked (%s)", what, sb.s, why);
	merge(a, &v);
	sb_free(&sb);
}

/* The part's name that a policy's extensions block: the file name or any
 * other name a client may show (name= beside filename=, ...), or NULL. */
static const char *
blocked_name(const struct attach_policy *ap, const struct mime_part *mp)
{
	if (mp->filename != NULL &&
	    attach_blocked_ext(&ap->blocked_extensions, mp->filename, strlen(mp->filename)) != NULL)
		return mp->filename;
	for (unsigned i = 0; i < mp->nnames; i++)
		if (attach_blocked_ext(&ap->blocked_extensions, mp->names[i], strlen(mp->names[i])) != NULL)
			return mp->names[i];
	return NULL;
}

static void
screen_part(struct attach *a, const struct mime_part *mp)
{
	const char *hit, *bn;

	for (size_t i = 0; i < a->npol; i++) {
		const struct policy *p = a->pol[i];
		const char *fn = mp->filename ? mp->filename : "";

		if ((bn = blocked_name(AP(p), mp)) != NULL)
			blocked(a, p, "attachment", bn, strlen(bn), "file type");
		else if (mp->kind == MIME_LEAF &&
		    (hit = attach_blocked_type(&AP(p)->blocked_types, mp->type)) != NULL)
			blocked(a, p, "attachment", mp->filename ? fn : mp->type,
			    strlen(mp->filename ? fn : mp->type), "content type");
	}
}

/* A zip part that cannot be listed to its end: what a reader shows of it
 * was not all screened. */
static void
screen_zip(struct attach *a, const struct mime_part *mp)
{
	const char *n = mp->filename != NULL ? mp->filename : mp->type;
	strbuf sb;

	if (!mp->is_zip || !mp->zip_broken || mp->dec_size == 0)
		return;
	sb_init(&sb);
	name_text(&sb, n, strlen(n));
	for (size_t i = 0; i < a->npol; i++) {
		struct verdict v;
		verdict_clear(&v);
		check_verdict(&v, NAME, a->pol[i], AP(a->pol[i])->zip_broken_action, 554, "5.7.1",
		    "archive %s cannot be listed to its end (damaged or disguised zip)", sb.s);
		merge(a, &v);
	}
	sb_free(&sb);
}

static void
screen_sizes(struct attach *a, const struct mime_part *mp, unsigned long long total)
{
	for (size_t i = 0; i < a->npol; i++) {
		const struct policy *p = a->pol[i];
		struct verdict v;

		verdict_clear(&v);
		if (mp != NULL && AP(p)->max_attachment_size != 0 && mp->dec_size > AP(p)->max_attachment_size)
			check_verdict(&v, NAME, p, p->oversize_action, 552, "5.3.4",
			    "attachment exceeds the attachment size limit of %llu bytes",
			    AP(p)->max_attachment_size);
		else if (AP(p)->max_attachments_total != 0 && total > AP(p)->max_attachments_total)
			check_verdict(&v, NAME, p, p->oversize_action, 552, "5.3.4",
			    "attachments exceed the total size limit of %llu bytes",
			    AP(p)->max_attachments_total);
		merge(a, &v);
	}
}

static bool
on_event(void *ctx, enum mime_event ev, const struct mime_part *mp, const struct zip_entry *z)
{
	struct attach *a = ctx;

	if (ev != MIME_EV_ZIP_ENTRY)
		for (size_t i = 0; i < a->nhooks; i++)
			if (a->hooks[i].part != NULL)
				(void)a->hooks[i].part(a->hooks[i].ctx, ev, mp, z);
	switch (ev) {
	case MIME_EV_PART:
		screen_part(a, mp);
		break;
	case MIME_EV_PART_END:
		screen_zip(a, mp);
		screen_sizes(a, mp, mime_facts(a->scan)->total_decoded);
		break;
	case MIME_EV_ZIP_ENTRY:
		for (size_t i = 0; i < a->npol; i++)
			if (attach_blocked_ext(&AP(a->pol[i])->blocked_extensions, z->name, z->namelen))
				blocked(a, a->pol[i], "file in archive", z->name, z->namelen, "file type");
		break;
	}
	return verdict_refuses(&a->v);
}

static unsigned
lim_min(unsigned cur, unsigned long long v)
{
	return v != 0 && v < cur ? (unsigned)v : cur;
}

static struct attach *
attach_get(struct conn *c, struct msg *m, void *ms)
{
	struct attach *a = ms;
	struct mime_limits l;

	if (a->scan != NULL)
		return a;
	verdict_clear(&a->v);
	for (size_t i = 0; i < m->npol; i++)
		a->pol[a->npol++] = m->pol[i];
	if (a->npol == 0)
		a->pol[a->npol++] = policy_default(c->snap->policies);
	l.depth = l.parts = l.header_line = l.header_bytes = l.boundary = l.filename =
	    l.zip_entries = ~0u;
	for (size_t i = 0; i < a->npol; i++) {
		const struct policy *p = a->pol[i];
		l.depth = lim_min(l.depth, AP(p)->mime_max_depth);
		l.parts = lim_min(l.parts, AP(p)->mime_max_parts);
		l.header_line = lim_min(l.header_line, AP(p)->mime_max_header_line);
		l.header_bytes = lim_min(l.header_bytes, AP(p)->mime_max_header_bytes);
		l.boundary = lim_min(l.boundary, AP(p)->mime_max_boundary);
		l.filename = lim_min(l.filename, AP(p)->mime_max_filename);
		l.zip_entries = lim_min(l.zip_entries, AP(p)->zip_max_entries);
	}
	a->scan = mime_scan_new(&l, true, on_event, a);
	return a;
}

/* After the scanner ran: a limit, or a verdict an event asked for. */
static void
report(struct attach *a, enum mime_status st, struct verdict *v)
{
	if (st == MIME_LIMIT && !verdict_refuses(&a->v)) {
		const struct mime_facts *f = mime_facts(a->scan);
		for (size_t i = 0; i < a->npol; i++) {
			struct verdict lv;
			verdict_clear(&lv);
			check_verdict(&lv, NAME, a->pol[i], AP(a->pol[i])->mime_limit_action, 554,
			    "5.6.0", "%s", f->reason);
			merge(a, &lv);
		}
	}
	*v = a->v;
}

static void
attach_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct attach *a = attach_get(c, m, ms);

	(void)v;     /* header steps are no-reply: decide at eoh */
	mime_header(a->scan, name, strlen(name), value, strlen(value));
}

static void
attach_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	struct attach *a = attach_get(c, m, ms);

	a->eoh = true;
	report(a, mime_end_headers(a->scan), v);
}

static void
attach_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct attach *a = attach_get(c, m, ms);
	enum mime_status st;

	if (!a->eoh) {            /* a body without end-of-header: the header is over */
		a->eoh = true;
		mime_end_headers(a->scan);
	}
	st = mime_feed(a->scan, buf, len);

	if (st == MIME_OK)    /* the part still streaming, and the total */
		screen_sizes(a, mime_current(a->scan), mime_facts(a->scan)->total_decoded);
	report(a, st, v);
}

static void
attach_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct attach *a = attach_get(c, m, ms);

	report(a, mime_finish(a->scan), v);
	if (a->tagged && !verdict_refuses(v) && a->v.action == ACT_TAG)
		edits_insert(e, 0, "X-Postern-Attachment", a->v.text);
}

static void
attach_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct attach *a = ms;
	const struct mime_facts *f = attach_facts(m);
	unsigned listed = 0;

	(void)c;
	if (f == NULL)
		return;
	sb_printf(out, " mime_parts=%zu mime_decoded=%llu mime_depth=%u", f->nparts,
	    f->total_decoded, f->max_depth);
	if (f->unterminated)
		sb_puts(out, " mime_unterminated=1");
	if (f->limit != MIME_LIM_NONE)
		sb_printf(out, " mime_limit=%s", mime_limit_name(f->limit));
	for (size_t i = 0; i < f->nparts; i++) {
		const struct mime_part *p = &f->parts[i];
		if (p->kind != MIME_LEAF || (p->filename == NULL && !p->attachment))
			continue;
		if (listed++ == SUMMARY_PARTS) {
			sb_puts(out, ",...");
			break;
		}
		sb_puts(out, listed == 1 ? " attachments=\"" : ",\"");
		name_text(out, p->filename ? p->filename : "", p->filename ? strlen(p->filename) : 0);
		sb_printf(out, "\":%s:%llu", p->type, p->dec_size);
		if (p->is_zip)
			sb_printf(out, ":zip(%u%s%s)", p->zip_entries, p->zip_encrypted ? ",encrypted" : "",
			    p->zip_broken && p->dec_size > 0 ? ",broken" : "");
	}
	if (a->blocked[0] != '\0')
		sb_printf(out, " blocked=\"%s\"", a->blocked);
}

const struct check check_attach = {
	.name = NAME,
	.policy_keys = attach_keys,
	.npolicy_keys = NELEM(attach_keys),
	.policy_size = sizeof(struct attach_policy),
	.msg_size = sizeof(struct attach),
	.msg_reset = attach_reset,
	.header = attach_header,
	.eoh = attach_eoh,
	.body = attach_body,
	.eom = attach_eom,
	.summary = attach_summary,
};
