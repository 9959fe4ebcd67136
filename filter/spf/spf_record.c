/*
 * spf_record.c - our own RFC 7208 grammar check of an SPF record, run on
 * every record before libspf2 compiles it.  libspf2 1.2.10 accepts some
 * records the RFC calls permerror (duplicate redirect=/exp=, bad macro
 * characters, domains without a valid toplabel, control characters) and
 * rejects some valid ones (/0 CIDR); this check gives the RFC's answer
 * first.  Pure functions over (buf, len); used by spf_dns.c, unit tests
 * and the fuzz target.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "postern/spf.h"

#define V_SPF1 "v=spf1"
#define V_LEN 6

struct rc {
	const char *why;
	unsigned redirects;
	unsigned exps;
};

static enum spf_rec_status
bad(struct rc *rc, const char *why)
{
	rc->why = why;
	return SPF_REC_SYNTAX;
}

bool
spf_record_is_spf(const char *buf, size_t len)
{
	return len >= V_LEN && strncasecmp(buf, V_SPF1, V_LEN) == 0 &&
	    (len == V_LEN || buf[V_LEN] == ' ');
}

static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 7208 toplabel: alphanumerics with at least one letter, or
 * alphanumerics and dashes that neither start nor end with a dash. */
static bool
toplabel_ok(const char *p, size_t n)
{
	bool alpha = false, dash = false;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '-')
			dash = true;
		else if (!is_alnum((unsigned char)p[i]))
			return false;
		else if (!isdigit((unsigned char)p[i]))
			alpha = true;
	}
	if (dash)
		return p[0] != '-' && p[n - 1] != '-';
	return alpha;
}

bool
spf_domain_ok(const char *name, size_t len, bool need_toplabel)
{
	size_t start = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start || i - start > 63)
			return false;
		if (i == len && need_toplabel &&
		    (start == 0 || !toplabel_ok(name + start, i - start)))
			return false;
		start = i + 1;
	}
	return true;
}

/* What a macro-string scan found besides its validity. */
struct mscan {
	bool ends_expand;   /* the last token is a %{...} macro-expand */
	bool empty_label;   /* a literal "." starts it or follows a literal "." */
};

/* macro-string (RFC 7208 7.1); allow_ctr: the letters c, r, t. */
static bool
macro_scan(const char *p, size_t n, bool allow_ctr, struct mscan *ms)
{
	size_t i = 0;
	bool prev_dot = true;   /* start of string: a dot here is an empty label */

	ms->ends_expand = false;
	ms->empty_label = false;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x21 || c > 0x7e)
			return false;
		if (c != '%') {
			if (c == '.' && prev_dot)
				ms->empty_label = true;
			prev_dot = c == '.';
			ms->ends_expand = false;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		c = (unsigned char)p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			prev_dot = false;
			ms->ends_expand = false;
			i += 2;
			continue;
		}
		if (c != '{' || i + 2 >= n)
			return false;
		c = (unsigned char)tolower((unsigned char)p[i + 2]);
		if (strchr("slodiphv", c) == NULL && !(allow_ctr && strchr("crt", c) != NULL))
			return false;
		i += 3;
		if (i < n && p[i] == '0')
			return false;   /* a DIGIT transformer must be nonzero */
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
		if (i < n && (p[i] == 'r' || p[i] == 'R'))
			i++;
		while (i < n && p[i] != '\0' && strchr(".-+,/_=", p[i]) != NULL)
			i++;
		if (i >= n || p[i] != '}')
			return false;
		i++;
		prev_dot = false;
		ms->ends_expand = true;
	}
	return true;
}

static bool
macro_ok(const char *p, size_t n, bool allow_ctr)
{
	struct mscan ms;

	return macro_scan(p, n, allow_ctr, &ms);
}

/* domain-spec = macro-string domain-end (RFC 7208 7.1 with erratum); no
 * empty literal label (a leading "." or ".." outside macros). */
static bool
domain_spec_ok(const char *p, size_t n)
{
	size_t end = n, dot;
	struct mscan ms;

	if (n == 0 || !macro_scan(p, n, false, &ms) || ms.empty_label)
		return false;
	if (ms.ends_expand)
		return true;
	if (p[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && p[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return false;   /* "." toplabel is required */
	return toplabel_ok(p + dot, end - dot);
}

static bool
digits_ok(const char *p, size_t n, unsigned max)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= max;
}

/*
 * Split a trailing dual-cidr ("/n", "//m", "/n//m") off [p, *n).  Returns
 * false if a CIDR is present but malformed.  *has tells whether one was.
 */
static bool
split_cidr(const char *p, size_t *n, bool *has)
{
	size_t e = *n, i = e;

	*has = false;
	while (i > 0 && isdigit((unsigned char)p[i - 1]))
		i--;
	if (i == e || i == 0 || p[i - 1] != '/')
		return true;
	if (i >= 2 && p[i - 2] == '/') {          /* //m */
		if (!digits_ok(p + i, e - i, 128))
			return false;
		*has = true;
		e = i - 2;
		i = e;
		while (i > 0 && isdigit((unsigned char)p[i - 1]))
			i--;
		if (i < e && i > 0 && p[i - 1] == '/') {
			if (!digits_ok(p + i, e - i, 32))
				return false;
			e = i - 1;
		}
	} else {
		if (!digits_ok(p + i, e - i, 32))
			return false;
		*has = true;
		e = i - 1;
	}
	*n = e;
	return true;
}

static bool
ip4_ok(const char *p, size_t n)
{
	size_t i = 0, parts = 0;

	if (n == 0 || n > 15)
		return false;
	while (i <= n) {
		size_t s = i;
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
		if (!digits_ok(p + s, i - s, 255))
			return false;
		parts++;
		if (i == n)
			break;
		if (p[i] != '.')
			return false;
		i++;
	}
	return parts == 4;
}

static bool
ip_arg_ok(const char *arg, size_t n, bool v6)
{
	size_t e = n, i = n;
	char buf[64];
	unsigned char tmp[16];

	/* single CIDR only: "/n" */
	while (i > 0 && isdigit((unsigned char)arg[i - 1]))
		i--;
	if (i < e && i > 0 && arg[i - 1] == '/') {
		if (!digits_ok(arg + i, e - i, v6 ? 128 : 32))
			return false;
		e = i - 1;
	} else if (memchr(arg, '/', n) != NULL) {
		return false;
	}
	if (!v6)
		return ip4_ok(arg, e);
	if (e == 0 || e >= sizeof(buf))
		return false;
	memcpy(buf, arg, e);
	buf[e] = '\0';
	return inet_pton(AF_INET6, buf, tmp) == 1;
}

enum mech { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS, M_BAD };

static enum mech
mech_of(const char *p, size_t n)
{
	static const struct { const char *name; enum mech m; } tab[] = {
		{ "all", M_ALL }, { "include", M_INCLUDE }, { "a", M_A },
		{ "mx", M_MX }, { "ptr", M_PTR }, { "ip4", M_IP4 },
		{ "ip6", M_IP6 }, { "exists", M_EXISTS },
	};

	for (size_t i = 0; i < NELEM(tab); i++)
		if (strlen(tab[i].name) == n && strncasecmp(p, tab[i].name, n) == 0)
			return tab[i].m;
	return M_BAD;
}

static enum spf_rec_status
check_directive(struct rc *rc, const char *p, size_t n)
{
	size_t name_len, alen;
	const char *arg;
	bool has_cidr;
	enum mech m;

	if (n > 0 && strchr("+-~?", p[0]) != NULL) {
		p++;
		n--;
	}
	for (name_len = 0; name_len < n && p[name_len] != ':' && p[name_len] != '/'; name_len++)
		;
	m = mech_of(p, name_len);
	arg = p + name_len;
	alen = n - name_len;
	switch (m) {
	case M_ALL:
		return alen == 0 ? SPF_REC_OK : bad(rc, "all takes no argument");
	case M_INCLUDE:
	case M_EXISTS:
		if (alen < 2 || arg[0] != ':' || !domain_spec_ok(arg + 1, alen - 1))
			return bad(rc, m == M_INCLUDE ? "bad include domain" : "bad exists domain");
		return SPF_REC_OK;
	case M_PTR:
		if (alen == 0)
			return SPF_REC_OK;
		if (arg[0] != ':' || !domain_spec_ok(arg + 1, alen - 1))
			return bad(rc, "bad ptr domain");
		return SPF_REC_OK;
	case M_A:
	case M_MX:
		if (!split_cidr(arg, &alen, &has_cidr))
			return bad(rc, "bad CIDR length");
		if (alen == 0)
			return SPF_REC_OK;
		if (arg[0] != ':' || !domain_spec_ok(arg + 1, alen - 1))
			return bad(rc, m == M_A ? "bad a domain" : "bad mx domain");
		return SPF_REC_OK;
	case M_IP4:
	case M_IP6:
		if (alen < 2 || arg[0] != ':' || !ip_arg_ok(arg + 1, alen - 1, m == M_IP6))
			return bad(rc, m == M_IP4 ? "bad ip4 network" : "bad ip6 network");
		return SPF_REC_OK;
	default:
		return bad(rc, "unknown mechanism");
	}
}

static enum spf_rec_status
check_modifier(struct rc *rc, const char *p, size_t name_len, size_t n)
{
	const char *val = p + name_len + 1;
	size_t vlen = n - name_len - 1;

	if (name_len == 8 && strncasecmp(p, "redirect", 8) == 0) {
		if (++rc->redirects > 1)
			return bad(rc, "redirect= twice");
		return domain_spec_ok(val, vlen) ? SPF_REC_OK : bad(rc, "bad redirect domain");
	}
	if (name_len == 3 && strncasecmp(p, "exp", 3) == 0) {
		if (++rc->exps > 1)
			return bad(rc, "exp= twice");
		return domain_spec_ok(val, vlen) ? SPF_REC_OK : bad(rc, "bad exp domain");
	}
	return macro_ok(val, vlen, false) ? SPF_REC_OK : bad(rc, "bad modifier value");
}

static enum spf_rec_status
check_term(struct rc *rc, const char *p, size_t n)
{
	size_t i = 0;

	for (size_t k = 0; k < n; k++)
		if ((unsigned char)p[k] < 0x21 || (unsigned char)p[k] > 0x7e)
			return bad(rc, "control or 8-bit character");
	/* modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (n > 0 && isalpha((unsigned char)p[0])) {
		for (i = 1; i < n && (is_alnum((unsigned char)p[i]) || strchr("-_.", p[i]) != NULL); i++)
			;
		if (i < n && p[i] == '=')
			return check_modifier(rc, p, i, n);
	}
	if (n > 0 && p[0] == '=')
		return bad(rc, "empty modifier name");
	return check_directive(rc, p, n);
}

enum spf_rec_status
spf_record_check(const char *buf, size_t len, const char **why)
{
	struct rc rc = { NULL, 0, 0 };
	enum spf_rec_status st = SPF_REC_OK;
	size_t i = V_LEN;

	if (!spf_record_is_spf(buf, len))
		return SPF_REC_NOT_SPF;
	if (len > SPF_RECORD_MAX) {
		if (why != NULL)
			*why = "record too long";
		return SPF_REC_TOO_LONG;
	}
	while (i < len && st == SPF_REC_OK) {
		size_t s;

		while (i < len && buf[i] == ' ')
			i++;
		s = i;
		while (i < len && buf[i] != ' ')
			i++;
		if (i > s)
			st = check_term(&rc, buf + s, i - s);
	}
	if (why != NULL)
		*why = rc.why;
	return st;
}

/* ---- rewriting a checked record into what libspf2 evaluates right ------ */

static int
num_at(const char *p, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Trailing dual-cidr of a checked a/mx argument: values (-1 if absent)
 * and the length of what precedes it. */
static size_t
cidr_values(const char *p, size_t n, int *c4, int *c6)
{
	size_t i = n;

	*c4 = *c6 = -1;
	while (i > 0 && isdigit((unsigned char)p[i - 1]))
		i--;
	if (i == n || i == 0 || p[i - 1] != '/')
		return n;
	if (i >= 2 && p[i - 2] == '/') {
		*c6 = num_at(p + i, n - i);
		n = i - 2;
		i = n;
		while (i > 0 && isdigit((unsigned char)p[i - 1]))
			i--;
		if (i < n && i > 0 && p[i - 1] == '/') {
			*c4 = num_at(p + i, n - i);
			n = i - 1;
		}
	} else {
		*c4 = num_at(p + i, n - i);
		n = i - 1;
	}
	return n;
}

/* ptr's domain-spec in lower case outside macros (libspf2 compares the
 * validated name case-sensitively). */
static void
put_lower_literal(strbuf *out, const char *p, size_t n)
{
	bool in_macro = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '{' && i > 0 && p[i - 1] == '%')
			in_macro = true;
		else if (c == '}')
			in_macro = false;
		sb_putc(out, in_macro ? c : (char)tolower((unsigned char)c));
	}
}

static void
rewrite_amx(strbuf *out, const char *q, size_t qn, const char *mech, size_t mn,
    const char *arg, size_t an, bool v6)
{
	int c4, c6;
	size_t dn = cidr_values(arg, an, &c4, &c6);
	int mine = v6 ? c6 : c4;

	sb_append(out, q, qn);
	sb_append(out, mech, mn);
	if (mine == 0) {
		/* /0 matches any address of the family the name has: our DNS
		 * layer answers the marked name with the client's address */
		if (dn > 1) {
			size_t l = dn - 1;
			if (arg[dn - 1] == '.')
				l--;
			sb_putc(out, ':');
			sb_append(out, arg + 1, l);
		} else {
			sb_puts(out, ":%{d}");
		}
		sb_puts(out, SPF_CIDR0_MARK);
		sb_puts(out, v6 ? "//128" : "/32");
		return;
	}
	sb_append(out, arg, dn);
	if (c4 > 0)
		sb_printf(out, "/%d", c4);
	if (c6 > 0)
		sb_printf(out, "//%d", c6);
}

void
spf_record_rewrite(const char *buf, size_t len, bool v6, strbuf *out)
{
	const char *redirect = NULL;
	size_t redirect_len = 0, i = V_LEN;
	bool has_all = false;

	sb_reset(out);
	sb_puts(out, V_SPF1);
	while (i < len) {
		size_t s, n, k, name_len, qn = 0;
		const char *p;

		while (i < len && buf[i] == ' ')
			i++;
		s = i;
		while (i < len && buf[i] != ' ')
			i++;
		if (i == s)
			break;
		p = buf + s;
		n = i - s;
		for (k = 0; k < n && (is_alnum((unsigned char)p[k]) || strchr("-_.", p[k]) != NULL); k++)
			;
		if (k > 0 && k < n && p[k] == '=' && isalpha((unsigned char)p[0])) {
			if (k == 8 && strncasecmp(p, "redirect", 8) == 0) {
				redirect = p;
				redirect_len = n;
			} else if (k == 3 && strncasecmp(p, "exp", 3) == 0) {
				sb_putc(out, ' ');
				sb_append(out, p, n);
			}
			continue;   /* unknown modifiers are ignored (RFC 7208 6) */
		}
		if (strchr("+-~?", p[0]) != NULL)
			qn = 1;
		for (name_len = qn; name_len < n && p[name_len] != ':' && p[name_len] != '/'; name_len++)
			;
		sb_putc(out, ' ');
		switch (mech_of(p + qn, name_len - qn)) {
		case M_ALL:
			has_all = true;
			sb_append(out, p, n);
			break;
		case M_PTR:
			sb_append(out, p, name_len);
			put_lower_literal(out, p + name_len, n - name_len);
			break;
		case M_A:
		case M_MX:
			rewrite_amx(out, p, qn, p + qn, name_len - qn, p + name_len, n - name_len, v6);
			break;
		case M_IP4:
		case M_IP6:
			if (n > 2 && p[n - 2] == '/' && p[n - 1] == '0') {
				bool six = tolower((unsigned char)p[name_len - 1]) == '6';
				sb_append(out, p, qn);
				sb_puts(out, six ? "ip6:::/1 " : "ip4:0.0.0.0/1 ");
				sb_append(out, p, qn);
				sb_puts(out, six ? "ip6:8000::/1" : "ip4:128.0.0.0/1");
				break;
			}
			/* fall through */
		default:
			sb_append(out, p, n);
			break;
		}
	}
	/* redirect= applies only when no mechanism matched: never after "all",
	 * and libspf2 must see it last */
	if (redirect != NULL && !has_all) {
		sb_putc(out, ' ');
		sb_append(out, redirect, redirect_len);
	}
}
