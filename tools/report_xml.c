/*
 * report_xml.c - one aggregate report as RFC 9990 XML (namespace
 * urn:ietf:params:xml:ns:dmarc-2.0, written with libxml2's text writer, so
 * every value is escaped), and its gzip (zlib).  The elements follow the
 * schema's order; tests/report/schema.sh validates the output with xmllint
 * against the RFC's schema.
 */
#include "config.h"

#include <libxml/xmlwriter.h>
#include <string.h>
#include <zlib.h>

#include "report.h"

/* Values come from the spool (network text): printable ASCII only. */
static void
el(xmlTextWriterPtr w, const char *name, const char *value)
{
	char buf[1024];
	size_t i = 0;

	for (; value[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (value[i] >= 0x20 && value[i] < 0x7f) ? value[i] : '?';
	buf[i] = '\0';
	xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST buf);
}

static void
el_num(xmlTextWriterPtr w, const char *name, unsigned long long v)
{
	xmlTextWriterWriteFormatElement(w, BAD_CAST name, "%llu", v);
}

static const char *
one_of(const char *v, const char *const *allowed, const char *fallback)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(v, *allowed) == 0)
			return v;
	return fallback;
}

static void
policy_published(xmlTextWriterPtr w, const struct rep_domain *d)
{
	const struct dmarc_record *r = &d->policy.rec;

	xmlTextWriterStartElement(w, BAD_CAST "policy_published");
	el(w, "domain", d->domain);
	el(w, "p", dmarc_policy_name(r->p));
	el(w, "sp", dmarc_policy_name(r->sp));
	el(w, "np", dmarc_policy_name(r->np));
	el(w, "adkim", r->adkim_strict ? "s" : "r");
	el(w, "aspf", r->aspf_strict ? "s" : "r");
	el(w, "discovery_method", "treewalk");
	el(w, "testing", r->testing ? "y" : "n");
	xmlTextWriterEndElement(w);
}

static void
record(xmlTextWriterPtr w, const struct rep_row *row)
{
	static const char *const dkim_res[] = { "none", "pass", "fail", "policy", "neutral",
		"temperror", "permerror", NULL };
	static const char *const spf_res[] = { "none", "pass", "fail", "softfail", "policy",
		"neutral", "temperror", "permerror", NULL };
	static const char *const ovr[] = { "local_policy", "mailing_list", "other",
		"policy_test_mode", "trusted_forwarder", NULL };
	const struct dmarc_spool_rec *r = &row->rec;

	xmlTextWriterStartElement(w, BAD_CAST "record");
	xmlTextWriterStartElement(w, BAD_CAST "row");
	el(w, "source_ip", r->ip);
	el_num(w, "count", row->count);
	xmlTextWriterStartElement(w, BAD_CAST "policy_evaluated");
	el(w, "disposition", dmarc_disp_name(r->disp));
	el(w, "dkim", r->dkim_aligned ? "pass" : "fail");
	el(w, "spf", r->spf_aligned ? "pass" : "fail");
	if (r->override_type[0] != '\0') {
		xmlTextWriterStartElement(w, BAD_CAST "reason");
		el(w, "type", one_of(r->override_type, ovr, "other"));
		if (r->override_comment[0] != '\0')
			el(w, "comment", r->override_comment);
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);   /* policy_evaluated */
	xmlTextWriterEndElement(w);   /* row */
	xmlTextWriterStartElement(w, BAD_CAST "identifiers");
	el(w, "header_from", r->header_from);
	if (r->env_from[0] != '\0')
		el(w, "envelope_from", r->env_from);
	if (r->env_to[0] != '\0')
		el(w, "envelope_to", r->env_to);
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, BAD_CAST "auth_results");
	for (size_t i = 0; i < r->ndkim; i++) {
		xmlTextWriterStartElement(w, BAD_CAST "dkim");
		el(w, "domain", r->dkim[i].d);
		el(w, "selector", r->dkim[i].s);
		el(w, "result", one_of(r->dkim[i].res, dkim_res, "permerror"));
		xmlTextWriterEndElement(w);
	}
	if (r->spf_res[0] != '\0' && r->spf_domain[0] != '\0') {
		xmlTextWriterStartElement(w, BAD_CAST "spf");
		el(w, "domain", r->spf_domain);
		if (strcmp(r->spf_scope, "mfrom") == 0)
			el(w, "scope", "mfrom");
		el(w, "result", one_of(r->spf_res, spf_res, "permerror"));
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);   /* auth_results */
	xmlTextWriterEndElement(w);   /* record */
}

void
rep_xml(const struct rep_opts *o, const struct rep_domain *d, const char *report_id, strbuf *out)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feedback", BAD_CAST "urn:ietf:params:xml:ns:dmarc-2.0");
	el(w, "version", "1.0");
	xmlTextWriterStartElement(w, BAD_CAST "report_metadata");
	el(w, "org_name", o->org_name);
	el(w, "email", o->email);
	el(w, "report_id", report_id);
	xmlTextWriterStartElement(w, BAD_CAST "date_range");
	el_num(w, "begin", (unsigned long long)o->begin);
	el_num(w, "end", (unsigned long long)(o->end - 1));
	xmlTextWriterEndElement(w);
	el(w, "generator", "postern-report " PACKAGE_VERSION);
	xmlTextWriterEndElement(w);
	policy_published(w, d);
	for (size_t i = 0; i < d->nrows; i++)
		record(w, d->rows[i]);
	xmlTextWriterEndElement(w);   /* feedback */
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	sb_reset(out);
	sb_append(out, (const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	xmlBufferFree(buf);
}

bool
rep_gzip(const char *buf, size_t len, strbuf *out)
{
	z_stream z;
	unsigned char chunk[16384];
	int st;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	z.next_in = (unsigned char *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	sb_reset(out);
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		st = deflate(&z, Z_FINISH);
		if (st == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return false;
		}
		sb_append(out, (const char *)chunk, sizeof(chunk) - z.avail_out);
	} while (st != Z_STREAM_END);
	deflateEnd(&z);
	return true;
}
