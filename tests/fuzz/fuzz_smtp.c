/* fuzz_smtp.c - libFuzzer target for postern-report's SMTP client
 * (tools/report_smtp.c): the input is everything the server says, written
 * to one end of a socket pair and then closed; the client runs a whole
 * session on the other end.  Invariants: it ends (EOF, never a hang), and
 * a failure names its step; a success saw 220, 250 and 354 (RFC 5321's
 * replies; a long run found a session that took 251 and 225 as success,
 * regress-2xx-not-250). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../tools/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rep_opts o;
	strbuf msg;
	char err[512];
	int sv[2];
	bool ok;

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;   /* more than a socket buffer would block the writer */
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	memset(&o, 0, sizeof(o));
	o.email = "dmarc@r.example";
	o.submitter = "r.example";
	o.smtp_timeout = 2;
	o.smtp_tls = (size & 1) ? REP_TLS_NONE : REP_TLS_ENCRYPT;   /* no handshake on garbage */
	sb_init(&msg);
	sb_puts(&msg, "From: dmarc@r.example\r\n\r\n.line\r\n");
	ok = rep_smtp_over(sv[0], &o, "a@p.example", &msg, err, sizeof(err));
	if (!ok && (err[0] == '\0' || strchr(err, ':') == NULL))
		__builtin_trap();
	if (ok && (memmem(data, size, "220", 3) == NULL || memmem(data, size, "250", 3) == NULL ||
	    memmem(data, size, "354", 3) == NULL))
		__builtin_trap();
	sb_free(&msg);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
