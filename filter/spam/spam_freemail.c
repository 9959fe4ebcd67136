/*
 * spam_freemail.c - the large free mail services and the relays their mail
 * leaves through, for the rule freemail_forged: a From address at such a
 * service on a message that no relay of that service handled (no Received
 * hop names it, nor the client's verified host name) and that carries no
 * DKIM signature of the From domain.  The services sign and send their
 * users' mail themselves; a message that claims one of them as its author
 * and came some other way is forged, or sent by a web form or list that
 * keeps the user's address (DMARC breaks those too, RFC 7960 3.2).
 * Called by check_spam.c; the table is static and read-only.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "postern/spam.h"
#include "postern/util.h"

struct service {
	const char *const *domains;     /* the author domains it gives out */
	const char *const *relays;      /* the domains its relays are named under */
};

#define LIST(...) (const char *const[]){ __VA_ARGS__, NULL }

static const struct service services[] = {
	{ LIST("hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "msn.com",
	      "live.com", "live.co.uk", "live.fr", "outlook.com", "passport.com"),
	  LIST("hotmail.com", "msn.com", "outlook.com", "live.com", "passport.com") },
	{ LIST("yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.it", "yahoo.es", "yahoo.ca",
	      "yahoo.com.au", "yahoo.co.in", "yahoo.co.jp", "ymail.com", "rocketmail.com"),
	  LIST("yahoo.com", "yahoo.net", "yahoodns.net", "yahoo.co.jp", "yahoo.co.uk") },
	{ LIST("aol.com", "aim.com", "netscape.net", "cs.com", "compuserve.com"),
	  LIST("aol.com", "aol.net", "aim.com", "netscape.net", "netscape.com", "cs.com") },
	{ LIST("gmail.com", "googlemail.com"), LIST("google.com", "gmail.com", "googlemail.com") },
	{ LIST("gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "mail.com"),
	  LIST("gmx.net", "gmx.com", "gmx.de", "mail.com") },
	{ LIST("web.de"), LIST("web.de") },
	{ LIST("icloud.com", "me.com", "mac.com"), LIST("apple.com", "icloud.com", "me.com", "mac.com") },
	{ LIST("yandex.ru", "yandex.com", "ya.ru"), LIST("yandex.net", "yandex.ru", "yandex.com") },
	{ LIST("mail.ru", "inbox.ru", "list.ru", "bk.ru"), LIST("mail.ru") },
	{ LIST("excite.com"), LIST("excite.com") },
	{ LIST("lycos.com"), LIST("lycos.com") },
	{ LIST("juno.com", "netzero.net", "netzero.com"),
	  LIST("juno.com", "netzero.net", "netzero.com", "untd.com") },
	{ LIST("zoho.com", "zohomail.com"), LIST("zoho.com", "zohomail.com") },
	{ LIST("protonmail.com", "proton.me", "pm.me"), LIST("protonmail.ch", "protonmail.com", "proton.me") },
};
_Static_assert(NELEM(services) <= 32, "a service is a bit of spam_freemail_relays");

int
spam_freemail_service(const char *domain)
{
	for (size_t i = 0; i < NELEM(services); i++)
		for (const char *const *d = services[i].domains; *d != NULL; d++)
			if (strcasecmp(domain, *d) == 0)
				return (int)i;
	return -1;
}

/* Is host (len bytes) one of the domains, or a name under one? */
static bool
under(const char *host, size_t len, const char *const *domains)
{
	for (; *domains != NULL; domains++)
		if (domain_under(host, len, *domains))
			return true;
	return false;
}

static bool
host_byte(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '-' || ch == '.' || ch == '_';
}

unsigned
spam_freemail_relays(const char *s, size_t len)
{
	unsigned seen = 0;

	for (size_t i = 0; i < len;) {
		size_t b = i, n;
		while (i < len && host_byte(s[i]))
			i++;
		n = i - b;
		while (n > 0 && s[b + n - 1] == '.')   /* a name written with its root dot */
			n--;
		if (n > 0 && memchr(s + b, '.', n) != NULL)
			for (size_t k = 0; k < NELEM(services); k++)
				if (under(s + b, n, services[k].relays))
					seen |= 1u << k;
		if (i == b)
			i++;
	}
	return seen;
}
