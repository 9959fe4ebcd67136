/* fuzz_spam.c - libFuzzer target for the spam engine's parsers: a score,
 * a DNS-list row, a Date, a spamd address and a spamd reply.  Invariants: a parsed score is in
 * bounds and prints back to the same value; a parsed row has a valid name
 * and zone, bounded codes in 127/8 and a non-zero mask when one is set;
 * a parsed spamd reply has a bounded score and printable rule names; the
 * content rules read header values and text in any chunking within their
 * bounds and fire each rule at most once. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/spam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct spam_list l;
	char text[SCORE_TEXT_MAX];
	int v, back;

	if (parse_score(buf, size, &v)) {
		if (v > SCORE_LIMIT || v < -SCORE_LIMIT)
			__builtin_trap();
		score_format(v, text);
		if (!parse_score(text, strlen(text), &back) || back != v)
			__builtin_trap();
	}
	if (spam_list_parse(buf, size, SPAM_LIST_IP, &l, NULL) == SPAM_LIST_OK) {
		if (l.name[0] == '\0' || strlen(l.name) > SPAM_LIST_NAME_MAX ||
		    l.zone[0] == '\0' || strchr(l.zone, ' ') != NULL ||
		    l.ncodes > SPAM_MAX_CODES || l.mask > 255 ||
		    l.score > SCORE_LIMIT || l.score < -SCORE_LIMIT)
			__builtin_trap();
		for (size_t i = 0; i < l.ncodes; i++)
			if ((l.codes[i] >> 24) != 127)
				__builtin_trap();
	}
	{
		struct spamd_result r;
		if (spamd_reply_parse(buf, size, &r) == SPAMD_OK &&
		    (r.score > SCORE_LIMIT || r.score < -SCORE_LIMIT || strlen(r.symbols) >= sizeof(r.symbols) ||
		     strpbrk(r.symbols, "\r\n\"") != NULL))
			__builtin_trap();
	}
	{
		time_t t;
		long zone = 0;
		/* a parsed date lies between 1900 and 9999 (give or take a zone),
		 * its zone within a day of UTC */
		if (spam_parse_date(buf, size, &t, &zone) && (t < -2208988800LL - 86400 ||
		    t > 253402300800LL + 86400 || zone <= -86400 || zone >= 86400))
			__builtin_trap();
		(void)spam_date_zone_odd(zone);
	}
	{
		struct spam_content sc;
		struct spam_hits h;
		size_t chunk = size > 0 ? (size_t)data[0] % 17 + 1 : 1;

		memset(&sc, 0, sizeof(sc));
		memset(&h, 0, sizeof(h));
		(void)spam_subject_caps(buf, size);
		(void)spam_host_is_ip(buf, size);
		spam_content_header(&sc, "Subject", buf, size);
		spam_content_header(&sc, "Message-ID", buf, size);
		spam_content_header(&sc, "X-Priority", buf, size);
		spam_content_header(&sc, "X-Mailer", buf, size);
		spam_content_header(&sc, "X-MimeOLE", buf, size);
		spam_content_header(&sc, "Received", buf, size);
		/* a relay is one of the services: the bits stay under NELEM */
		if (sc.freemail_relays >> 16 != 0)
			__builtin_trap();
		spam_content_header(&sc, "Content-Type", buf, size);
		spam_content_part(&sc, size > 1 && (data[1] & 1), size > 1 && (data[1] & 2));
		for (size_t off = 0; off < size; off += chunk)
			spam_content_text(&sc, data + off, size - off < chunk ? size - off : chunk);
		spam_content_part(&sc, true, false);
		spam_content_text(&sc, data, size);
		spam_content_hits(&sc, &h);
		if (h.n > SR_NBUILTIN - SR_SUBJECT_CAPS || spam_phrase_count(&sc) > 64)
			__builtin_trap();
		for (size_t i = 0; i < h.n; i++)
			if (h.v[i].rule < SR_SUBJECT_CAPS)
				__builtin_trap();
	}
	if (size < 128) {
		char s[128];
		struct spamd_addr a;
		memcpy(s, buf, size);
		s[size] = '\0';
		if (spamd_addr_parse(s, &a) && (a.port == 0 || a.family == 0))
			__builtin_trap();
	}
	return 0;
}
