/* test_mime.c - the streaming MIME scanner, table-driven: each crafted
 * message is fed whole, byte by byte and in 3-byte chunks, and its parts
 * (depth:type:name:encoding:encoded:decoded) and status must be exactly
 * as listed.  Well-formed rows first, then malformed ones (more of them). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "postern/mime.h"

/* rows name only the limits they change */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct row {
	const char *name;
	const char *msg;
	const char *want;       /* parts, ';'-separated */
	const char *status;     /* "ok", "unterminated" or a limit name */
	unsigned lim_depth, lim_parts, lim_line, lim_hbytes, lim_boundary, lim_filename;
};

#define CT_MIXED "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
#define PAD30 " \t                            "
#define PAD300 PAD30 PAD30 PAD30 PAD30 PAD30 PAD30 PAD30 PAD30 PAD30 PAD30

static const struct row good[] = {
	{ "a uuencoded block in a plain-text body is a part of its own",
	  "Content-Type: text/plain\r\n\r\nhi\r\nbegin 644 a.exe\r\n#35HA\r\n`\r\nend\r\nbye\r\n",
	  "0:text/plain::7bit:41:41;1:application/octet-stream:a.exe:x-uuencode:32:3", "ok" },
	{ "a uuencoded block without its end line",
	  "Content-Type: text/plain\r\n\r\nbegin 644 a.exe\r\n#35HA\r\n",
	  "0:text/plain::7bit:24:24;1:application/octet-stream:a.exe:x-uuencode:24:3", "ok" },
	{ "a yEnc block in a plain-text body is a part of its own",
	  "Content-Type: text/plain\r\n\r\n=ybegin line=128 size=3 name=a b.exe\r\nwZK\r\n=yend size=3\r\nbye\r\n",
	  "0:text/plain::7bit:62:62;1:application/octet-stream:a b.exe:binary:3:3", "ok" },
	{ "a uuencoded block in a text/plain attachment stays text",
	  "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nbegin 644 a.exe\r\n#35HA\r\nend\r\n",
	  "0:text/plain::7bit:29:29", "ok" },
	{ "single part without Content-Type", "Subject: x\r\n\r\nhello\r\n",
	  "0:text/plain::7bit:7:7", "ok" },
	{ "multipart, CRLF", CT_MIXED "--b\r\nContent-Type: text/plain\r\n\r\nab\r\n--b\r\n\r\ncd\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:2:2;1:text/plain::7bit:2:2", "ok" },
	{ "multipart, LF only", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nab\n--b\n\ncd\n\n--b--\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:2:2;1:text/plain::7bit:3:3", "ok" },
	{ "base64 decoded size", CT_MIXED "--b\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGVs\r\nbG8=\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::base64:10:5", "ok" },
	{ "quoted-printable soft breaks, escapes, trailing blanks",
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc  \r\nd",
	  "0:text/plain::quoted-printable:14:7", "ok" },
	{ "nested multipart", CT_MIXED "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c\r\nContent-Type: text/html\r\n\r\ny\r\n--c--\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:multipart/alternative::7bit:0:0;2:text/plain::7bit:1:1;2:text/html::7bit:1:1", "ok" },
	{ "message/rfc822 parsed as a message", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Type: text/html\r\n\r\n<p>\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:message/rfc822::7bit:0:0;2:text/html::7bit:3:3", "ok" },
	{ "x-uuencode decoded", "Content-Transfer-Encoding: x-uuencode\r\n\r\njunk\r\nbegin 644 h.txt\r\nD:&5L;&\\@=V]R;&0L('1H:7,@:7,@=75E;F-O9&5D('1E>'0A\r\n`\r\nend\r\nafter\r\n",
	  "0:text/plain::x-uuencode:89:36", "ok" },
	{ "message/news parsed as a message", CT_MIXED "--b\r\nContent-Type: message/news\r\n\r\nNewsgroups: x\r\nContent-Type: a/b; name=y.exe\r\n\r\n<p>\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:message/news::7bit:0:0;2:a/b:y.exe:7bit:3:3", "ok" },
	{ "multipart/digest defaults to message/rfc822", "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: a\r\n\r\nx\r\n--d--\r\n",
	  "0:multipart/digest::7bit:0:0;1:message/rfc822::7bit:0:0;2:text/plain::7bit:1:1", "ok" },
	{ "Content-Disposition filename, quoted", CT_MIXED "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a b.pdf\"\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:application/pdf:a b.pdf:7bit:1:1", "ok" },
	{ "Content-Type name", "Content-Type: application/octet-stream; name=x.bin\r\n\r\nx",
	  "0:application/octet-stream:x.bin:7bit:1:1", "ok" },
	{ "Content-Type name kept when the disposition has no filename",
	  "Content-Disposition: attachment; size=3\r\nContent-Type: a/b; name=\"y.exe\"\r\n\r\n",
	  "0:a/b:y.exe:7bit:0:0", "ok" },
	{ "RFC 2231 continuations", "Content-Disposition: attachment; filename*1=\"part.exe\"; filename*0=\"long-\"\r\n\r\n",
	  "0:text/plain:long-part.exe:7bit:0:0", "ok" },
	{ "RFC 2231 charset", "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC.pdf\r\n\r\n",
	  "0:text/plain:\xe2\x82\xac.pdf:7bit:0:0", "ok" },
	{ "RFC 2231 encoded continuations, ISO-8859-1 to UTF-8", "Content-Disposition: attachment;\r\n filename*0*=iso-8859-1'de'Fr%F6;\r\n filename*1*=sche.txt\r\n\r\n",
	  "0:text/plain:Fr\xc3\xb6sche.txt:7bit:0:0", "ok" },
	{ "RFC 2047 base64 name", "Content-Type: application/x-foo; name=\"=?UTF-8?B?aW52b2ljZS5leGU=?=\"\r\n\r\n",
	  "0:application/x-foo:invoice.exe:7bit:0:0", "ok" },
	{ "RFC 2047 Q words joined", "Content-Disposition: attachment; filename=\"=?iso-8859-1?Q?a=E9?= =?utf-8?Q?_b?=.doc\"\r\n\r\n",
	  "0:text/plain:a\xc3\xa9 b.doc:7bit:0:0", "ok" },
	{ "boundary-like text in quoted text", CT_MIXED "--b\r\n\r\n> --b\r\n -b\r\n--c\r\n\r\nz\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:20:20", "ok" },
	{ "preamble and epilogue ignored", CT_MIXED "preamble\r\n--b\r\n\r\nx\r\n--b--\r\nepilogue\r\n-- \r\n--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "transport padding after the boundary", CT_MIXED "--b \t\r\n\r\nx\r\n--b-- \r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "transport padding longer than the line head", CT_MIXED "--b" PAD300 "\r\n\r\nx\r\n--b" PAD300 "\r\nContent-Type: a/b\r\n\r\ny\r\n--b--" PAD300 "\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1;1:a/b::7bit:1:1", "ok" },
	{ "padded close delimiter at the end of the message", CT_MIXED "--b\r\n\r\nx\r\n--b--" PAD300,
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "comments and case", "CONTENT-TYPE: Text/HTML (a comment); NAME=\"Q.TXT\"\r\n\r\n",
	  "0:text/html:Q.TXT:7bit:0:0", "ok" },
	{ "filename*= wins over filename=", "Content-Disposition: attachment; filename=\"a.txt\"; filename*=utf-8''b.exe\r\n\r\n",
	  "0:text/plain:b.exe:7bit:0:0", "ok" },
	{ "folded header value", "Content-Type: multipart/mixed;\r\n\tboundary=\"x y\"\r\n\r\n--x y\r\n\r\n1\r\n--x y--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
};

static const struct row bad[] = {
	{ "missing final boundary", CT_MIXED "--b\r\n\r\nabc\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:5:5", "unterminated" },
	{ "multipart without boundary is a leaf", "Content-Type: multipart/mixed\r\n\r\n--b\r\n",
	  "0:multipart/mixed::7bit:5:5", "ok" },
	{ "empty boundary is a leaf", "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
	  "0:multipart/mixed::7bit:4:4", "ok" },
	{ "boundary over the limit", "Content-Type: multipart/mixed; boundary=\"0123456789012345678901234567890123456789012345678901234567890123456789012\"\r\n\r\n",
	  "0:text/plain::7bit:-:-", "boundary", 0, 0, 0, 0, 70 },
	{ "depth over the limit", "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n",
	  "0:multipart/mixed::7bit:-:-;1:multipart/mixed::7bit:-:-;2:multipart/mixed::7bit:-:-", "depth", 2 },
	{ "parts over the limit", CT_MIXED "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-;1:text/plain::7bit:-:-", "parts", 0, 3 },
	{ "header line over the limit", CT_MIXED "--b\r\nX-Long: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "header_line", 0, 0, 80 },
	{ "header block over the limit", CT_MIXED "--b\r\nA: 1234567890\r\nB: 1234567890\r\nC: 1234567890\r\nD: 1234567890\r\n\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "header_bytes", 0, 0, 0, 50 },
	{ "file name over the limit", "Content-Disposition: attachment; filename=\"0123456789abcdefg.exe\"\r\n\r\n",
	  "0:text/plain::7bit:-:-", "filename", 0, 0, 0, 0, 0, 16 },
	{ "a uuencoded block's name over the limit", "Content-Type: text/plain\r\n\r\nbegin 644 0123456789abcdefg.exe\r\n",
	  "0:text/plain::7bit:-:-", "filename", 0, 0, 0, 0, 0, 16 },
	{ "a yEnc block's name over the limit", "Content-Type: text/plain\r\n\r\n=ybegin size=1 name=0123456789abcdefg.exe\r\n",
	  "0:text/plain::7bit:-:-", "filename", 0, 0, 0, 0, 0, 16 },
	{ "decoded RFC 2047 name over the limit", "Content-Type: a/b; name=\"=?utf-8?B?MDEyMzQ1Njc4OWFiY2RlZmcuZXhl?=\"\r\n\r\n",
	  "0:a/b::7bit:-:-", "filename", 0, 0, 0, 0, 0, 16 },
	{ "unterminated quoted string", "Content-Type: application/x; name=\"abc.exe\r\n\r\n",
	  "0:application/x:abc.exe:7bit:0:0", "ok" },
	{ "junk in base64 skipped", "Content-Transfer-Encoding: base64\r\n\r\naG!!Vs*bG8\r\n",
	  "0:text/plain::base64:12:5", "ok" },
	{ "base64 goes on after '=' padding", "Content-Transfer-Encoding: base64\r\n\r\naGk=aGVsbG8=\r\n",
	  "0:text/plain::base64:14:7", "ok" },
	{ "base64 padding mid-line and a lone quantum", "Content-Transfer-Encoding: base64\r\n\r\naA==\r\naGk=\r\nY==aGk\r\n",
	  "0:text/plain::base64:20:5", "ok" },
	{ "bad quoted-printable escapes kept", "Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4=",
	  "0:text/plain::quoted-printable:6:6", "ok" },
	{ "header line without a colon", CT_MIXED "--b\r\nnot a header\r\nContent-Type: text/html\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/html::7bit:1:1", "ok" },
	{ "NUL in a file name", "Content-Disposition: attachment; filename=\"a\0.exe\"\r\n\r\n",
	  "0:text/plain:a?.exe:7bit:0:0", "ok" },
	{ "parameters without ';'", "Content-Type: multipart/mixed boundary=q\r\n\r\n--q\r\n\r\nx\r\n--q--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "empty Content-Type", "Content-Type: ;\r\n\r\nx",
	  "0:text/plain::7bit:1:1", "ok" },
	{ "type without subtype", "Content-Type: text\r\n\r\nx",
	  "0:text/plain::7bit:1:1", "ok" },
	{ "RFC 2231 gap in sections", "Content-Type: a/b; name*0=one; name*2=three\r\n\r\n",
	  "0:a/b:one:7bit:0:0", "ok" },
	{ "RFC 2231 bad %-escape kept", "Content-Type: a/b; name*=utf-8''a%zz%4\r\n\r\n",
	  "0:a/b:a%zz%4:7bit:0:0", "ok" },
	{ "malformed encoded word kept", "Content-Type: a/b; name=\"=?utf-8?X?abc?=\"\r\n\r\n",
	  "0:a/b:=?utf-8?X?abc?=:7bit:0:0", "ok" },
	{ "headers only, no blank line", "Content-Type: text/html\r\nSubject: x",
	  "0:text/html::7bit:0:0", "ok" },
	{ "empty input", "", "0:text/plain::7bit:0:0", "ok" },
	{ "CR-only line ends after a delimiter", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\r\rx\r--b--",
	  "0:multipart/mixed::7bit:-:-", "syntax" },
	{ "text after a delimiter", CT_MIXED "--b\r\n\r\nx\r\n--bx\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "text after a close delimiter", CT_MIXED "--b\r\n\r\nx\r\n--b--x\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "text after the padding of a long delimiter", CT_MIXED "--b\r\n\r\nx\r\n--b" PAD300 "x\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "bare CR inside the padding of a long delimiter", CT_MIXED "--b\r\n\r\nx\r\n--b--" PAD300 "\r \r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "bare CR in a part header", CT_MIXED "--b\r\nContent-Type: a/b\rContent-Disposition: attachment; filename=x.exe\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "bare CR before a delimiter in a body", CT_MIXED "--b\r\n\r\nx\r--b\r\nContent-Type: a/b\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "bare CR then dashes that are no delimiter", CT_MIXED "--b\r\n\r\nx\r-- not\r--c\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:12:12", "ok" },
	{ "message/partial is refused", CT_MIXED "--b\r\nContent-Type: message/partial; id=x; number=1\r\n\r\nSubject: x\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:message/partial::7bit:-:-", "syntax" },
	{ "names of a second Content-Type and Content-Disposition are kept", "Content-Type: a/b; name=one.pdf\r\nContent-Disposition: attachment\r\nContent-Type: A/B; name=two.exe\r\nContent-Disposition: inline; filename=three.scr\r\n\r\n",
	  "0:a/b:one.pdf:7bit:0:0", "ok" },
	{ "a second Content-Type of another type", "Content-Type: a/b; name=one.pdf\r\nContent-Type: c/d\r\n\r\nx\r\n",
	  "0:a/b:one.pdf:7bit:-:-", "syntax" },
	{ "a second Content-Transfer-Encoding that disagrees", "Content-Type: a/b\r\nContent-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n",
	  "0:a/b::7bit:-:-", "syntax" },
	{ "a second Content-Transfer-Encoding that agrees", "Content-Type: a/b\r\nContent-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: Base64\r\n\r\neA==\r\n",
	  "0:a/b::base64:6:1", "ok" },
	{ "a delimiter after the close delimiter", CT_MIXED "--b\r\n\r\nx\r\n--b--\r\nepilogue\r\n--b\r\n\r\ny\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "the close delimiter twice", CT_MIXED "--b\r\n\r\nx\r\n--b--\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "an inner close delimiter repeated before the outer delimiter", CT_MIXED "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--c\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:multipart/mixed::7bit:-:-;2:text/plain::7bit:-:-", "syntax" },
	{ "the outer delimiter after an inner close delimiter", CT_MIXED "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:multipart/mixed::7bit:0:0;2:text/plain::7bit:1:1;1:text/plain::7bit:1:1", "ok" },
	{ "close delimiter at end without line break", CT_MIXED "--b\r\n\r\nx\r\n--b--",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "inner boundary is a prefix of the outer one: the exact match wins", "Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--ab\r\n\r\ny\r\n-- a --\r\n--ab--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:multipart/mixed::7bit:0:0;2:text/plain::7bit:1:1;1:text/plain::7bit:10:10", "unterminated" },
	/* an inner multipart ended by an enclosing delimiter, then a
	 * delimiter of it: a reader that matches the innermost boundary only
	 * is still inside it and shows the part that line starts */
	{ "a delimiter of an inner multipart that an outer delimiter ended", "Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--ab\r\n\r\ny\r\n--a--\r\n--ab--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:multipart/mixed::7bit:-:-;2:text/plain::7bit:-:-;1:text/plain::7bit:-:-", "syntax" },
	{ "an ended inner multipart's delimiter in the epilogue", CT_MIXED "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--b--\r\n--c\r\nContent-Type: a/b; name=evil.exe\r\n\r\ny\r\n--c--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:multipart/mixed::7bit:-:-;2:text/plain::7bit:-:-", "syntax" },
	{ "an inner multipart ended by the outer delimiter, nothing of it after", CT_MIXED "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:multipart/mixed::7bit:0:0;2:text/plain::7bit:1:1;1:text/plain::7bit:1:1", "unterminated" },
	/* boundary parameters that name other boundaries: readers differ on
	 * which one they follow */
	{ "boundary= twice with other values", "Content-Type: multipart/mixed; boundary=b; boundary=c\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-", "syntax" },
	{ "boundary= and boundary*0/*1 that disagree", "Content-Type: multipart/mixed; boundary=b; boundary*0=c; boundary*1=d\r\n\r\n--cd\r\n\r\nx\r\n--cd--\r\n",
	  "0:multipart/mixed::7bit:-:-", "syntax" },
	{ "a second multipart Content-Type with another boundary", "Content-Type: multipart/mixed; boundary=b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-", "syntax" },
	{ "boundary= twice with the same value", "Content-Type: multipart/mixed; boundary=b; boundary=\"b\"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:text/plain::7bit:1:1", "ok" },
	{ "delimiter inside a part's header ends it", CT_MIXED "--b\r\nContent-Type: image/png\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:image/png::7bit:0:0", "ok" },
	{ "base64 message/rfc822 is decoded and parsed", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:0:0;1:message/rfc822::base64:20:15;2:text/plain::7bit:1:1", "ok" },
	{ "an encoded message counts against the depth limit", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nQ29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PWMNCg0KLS1jDQoNCnkNCi0tYy0tDQo=\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:message/rfc822::base64:-:-", "depth", 2 },
	{ "an encoded message at the depth limit", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:message/rfc822::base64:-:-", "depth", 1 },
	{ "an unencoded message at the depth limit", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\ny\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:message/rfc822::7bit:-:-", "depth", 1 },
	{ "an encoded message as the last allowed part", CT_MIXED "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n--b--\r\n",
	  "0:multipart/mixed::7bit:-:-;1:message/rfc822::base64:-:-", "parts", 0, 2 },
	{ "unknown transfer encoding counted as is", "Content-Transfer-Encoding: x-foo\r\n\r\nabc",
	  "0:text/plain::other:3:3", "ok" },
	{ "x-uuencode without begin, a short line, no end", "Content-Transfer-Encoding: uuencode\r\n\r\nD:&5L\r\nbegin 600 x\r\n#86)C\r\n%86)C\r\nbegin 644 y\r\n",
	  "0:text/plain::x-uuencode:47:10", "ok" },
	{ "bare '=' then CRLF in quoted-printable", "Content-Transfer-Encoding: quoted-printable\r\n\r\na= \r\nb=\nc",
	  "0:text/plain::quoted-printable:9:3", "ok" },
};

static void
render(const struct mime_facts *f, enum mime_status st, strbuf *out)
{
	/* a limit stops the scan where it is crossed: how much of the open
	 * part was read by then depends on the chunking, so "-" */
	for (size_t i = 0; i < f->nparts; i++) {
		const struct mime_part *p = &f->parts[i];
		sb_printf(out, "%s%u:%s:%s:%s:", i ? ";" : "", p->depth, p->type,
		    p->filename ? p->filename : "", mime_enc_name(p->enc));
		if (st == MIME_LIMIT)
			sb_puts(out, "-:-");
		else
			sb_printf(out, "%llu:%llu", p->enc_size, p->dec_size);
	}
	sb_printf(out, "|%s", st == MIME_LIMIT ? mime_limit_name(f->limit) :
	    f->unterminated ? "unterminated" : "ok");
}

static void
scan_row(const struct row *r, size_t msglen, size_t chunk, strbuf *out)
{
	struct mime_limits l;
	struct mime_scan *s;
	enum mime_status st = MIME_OK;

	mime_limits_default(&l);
	if (r->lim_depth) l.depth = r->lim_depth;
	if (r->lim_parts) l.parts = r->lim_parts;
	if (r->lim_line) l.header_line = r->lim_line;
	if (r->lim_hbytes) l.header_bytes = r->lim_hbytes;
	if (r->lim_boundary) l.boundary = r->lim_boundary;
	if (r->lim_filename) l.filename = r->lim_filename;
	s = mime_scan_new(&l, false, NULL, NULL);
	/* exact-size heap copies, so that ASan catches over-reads */
	for (size_t i = 0; i < msglen && st == MIME_OK; i += chunk) {
		size_t k = msglen - i < chunk ? msglen - i : chunk;
		unsigned char *c = xmalloc(k);
		memcpy(c, r->msg + i, k);
		st = mime_feed(s, c, k);
		free(c);
	}
	if (st == MIME_OK)
		st = mime_finish(s);
	render(mime_facts(s), st, out);
	mime_scan_free(s);
}

static size_t
row_len(const struct row *r)
{
	/* rows may hold a NUL: the message runs to the last "\r\n\r\n"-free end */
	size_t n = strlen(r->msg);
	if (strstr(r->name, "NUL") != NULL)
		n += 1 + strlen(r->msg + n + 1);
	return n;
}

static void
run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		static const size_t chunks[] = { 1000000, 1, 3, 64 };
		strbuf want;

		sb_init(&want);
		sb_printf(&want, "%s|%s", r->want, r->status);
		for (size_t c = 0; c < NELEM(chunks); c++) {
			strbuf got;
			sb_init(&got);
			scan_row(r, row_len(r), chunks[c], &got);
			if (strcmp(got.s, want.s) != 0)
				fail_msg("%s (chunks of %zu):\n  want %s\n  got  %s", r->name,
				    chunks[c], want.s, got.s);
			sb_free(&got);
		}
		sb_free(&want);
	}
}

/* Nine yEnc blocks in the first 4 KB of one text part fed at once: the
 * parts they add outgrow the parts array (8 at first) while the text
 * part's bytes are still being decoded; its counters must follow the
 * array (found by fuzz_classify: a write through the old pointer). */
static void
test_uu_blocks_move_parts(void **state)
{
	static const size_t chunks[] = { 1000000, 4097, 100 };
	strbuf m;

	(void)state;
	sb_init(&m);
	sb_puts(&m, "Content-Type: text/plain\r\n\r\n");
	for (int i = 0; i < 9; i++)
		sb_printf(&m, "=ybegin line=128 size=3 name=a%d.exe\r\nwZK\r\n=yend size=3\r\n", i);
	for (int i = 0; i < 6000; i++)
		sb_putc(&m, 'x');
	sb_puts(&m, "\r\n");
	for (size_t c = 0; c < NELEM(chunks); c++) {
		struct mime_limits l;
		struct mime_scan *s;
		enum mime_status st = MIME_OK;
		const struct mime_facts *f;
		size_t body = m.len - strlen("Content-Type: text/plain\r\n\r\n");

		mime_limits_default(&l);
		s = mime_scan_new(&l, false, NULL, NULL);
		for (size_t i = 0; i < m.len && st == MIME_OK; i += chunks[c]) {
			size_t k = m.len - i < chunks[c] ? m.len - i : chunks[c];
			unsigned char *b = xmalloc(k);
			memcpy(b, m.s + i, k);
			st = mime_feed(s, b, k);
			free(b);
		}
		if (st == MIME_OK)
			st = mime_finish(s);
		f = mime_facts(s);
		assert_int_equal(st, MIME_OK);
		assert_int_equal(f->nparts, 10);
		assert_int_equal(f->parts[0].enc_size, body);
		assert_int_equal(f->parts[0].dec_size, body);
		assert_string_equal(f->parts[9].filename, "a8.exe");
		assert_int_equal(f->parts[9].dec_size, 3);
		mime_scan_free(s);
	}
	sb_free(&m);
}

static void
test_well_formed(void **state)
{
	(void)state;
	run_rows(good, NELEM(good));
}

static void
test_malformed(void **state)
{
	(void)state;
	assert_true(NELEM(bad) >= NELEM(good));
	run_rows(bad, NELEM(bad));
}

/* ---- the parameter parser on its own ----------------------------------- */

static void
test_parse_field(void **state)
{
	static const struct {
		const char *in, *tok, *name;
		enum mime_hstatus st;
	} rows[] = {
		{ "text/plain; name=a.txt", "text/plain", "a.txt", MH_OK },
		{ " Text / Plain ;name=\"q\\\"x\"", "text/plain", "q\"x", MH_OK },
		{ "a/b; x=1; name=\"semi;colon\"", "a/b", "semi;colon", MH_OK },
		{ "a/b; name*0*=us-ascii''a%20b; name*1=c", "a/b", "a bc", MH_OK },
		{ "", "", NULL, MH_EMPTY },
		{ ";;;", "", NULL, MH_EMPTY },
		{ "a/b; name=", "a/b", "", MH_OK },
		{ "a/b; =x; name", "a/b", NULL, MH_OK },
		{ "a/b; name=\"0123456789abcdef\"", "a/b", NULL, MH_TOOLONG },
		{ "a/b (unclosed comment; name=x", "a/b", NULL, MH_OK },
		{ "a/b; name*=''", "a/b", "", MH_OK },
		{ "a/b; name*99999999999=x", "a/b", NULL, MH_OK },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char tok[32], buf[16];
		struct mime_pval v = { .name = "name", .buf = buf, .cap = sizeof(buf) };
		size_t len = strlen(rows[i].in);
		char *copy = xmalloc(len ? len : 1);
		memcpy(copy, rows[i].in, len);
		enum mime_hstatus st = mime_parse_field(copy, len, tok, sizeof(tok), &v, 1);
		free(copy);
		if (st != rows[i].st || strcmp(tok, rows[i].tok) != 0 ||
		    (rows[i].name == NULL) != !(v.found && !v.toolong) ||
		    (rows[i].name != NULL && strcmp(buf, rows[i].name) != 0))
			fail_msg("row %zu \"%s\": st %d tok \"%s\" found %d name \"%s\"", i,
			    rows[i].in, st, tok, v.found, v.found ? buf : "");
	}
}

static void
collect(void *ctx, const char *v, size_t n, bool toolong)
{
	strbuf *sb = ctx;

	if (sb->len > 0)
		sb_putc(sb, '|');
	if (toolong)
		sb_puts(sb, "(long)");
	else
		sb_append(sb, v, n);
}

/* every form of a parameter a reader may take (issue 9: names that disagree) */
static void
test_param_variants(void **state)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
		{ "attachment; filename=a.pdf", "a.pdf" },
		{ "attachment; filename=\"a.pdf\"; filename=\"b.exe\"", "a.pdf|b.exe" },
		{ "attachment; filename*=UTF-8''a.pdf; filename=\"b.exe\"", "a.pdf|b.exe" },
		{ "attachment; filename=\"b.exe\"; filename*0=\"a\"; filename*1=\".pdf\"", "b.exe|a.pdf" },
		{ "attachment; filename*0*=utf-8''%62; filename*1=.exe", "b.exe" },
		{ "attachment; filename=\"=?utf-8?B?Yi5leGU=?=\"", "b.exe" },
		{ "attachment; FileName=x; name=y", "x" },
		{ "attachment; filename=\"0123456789abcdef0123456789abcdef.exe\"; filename=ok", "(long)|ok" },
		{ "attachment; filename=\"C:\\TEMP\\a.png\"", "C:TEMPa.png|C:\\TEMP\\a.png" },
		{ "attachment; filename=evil.exe junk.txt", "evil.exe junk.txt|evil.exe" },
		{ "attachment; filename=evil.exe(comment)", "evil.exe(comment)|evil.exe" },
		{ "attachment", "" },
		{ "attachment; filename", "" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char buf[32];
		strbuf got;
		size_t len = strlen(rows[i].in);
		char *copy = xmalloc(len);

		sb_init(&got);
		memcpy(copy, rows[i].in, len);
		mime_param_variants(copy, len, "filename", buf, sizeof(buf), collect, &got);
		free(copy);
		if (strcmp(got.s ? got.s : "", rows[i].want) != 0)
			fail_msg("row %zu \"%s\": got \"%s\", want \"%s\"", i, rows[i].in,
			    got.s ? got.s : "", rows[i].want);
		sb_free(&got);
	}
}

static void
test_encoded_words(void **state)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "plain", "plain" },
		{ "=?utf-8?q?a_b?=", "a b" },
		{ "=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "\xc3\xa9\xc3\xa9" },
		{ "x =?utf-8?q?y?= z", "x y z" },
		{ "=?utf-8?q?unterminated", "=?utf-8?q?unterminated" },
		{ "=??q?x?=", "=??q?x?=" },
		{ "=?koi8-r?B?9MXT1A==?=", "\xd0\xa2\xd0\xb5\xd1\x81\xd1\x82" },
		{ "=?no-such-charset?q?ab?=", "ab" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		size_t n = mime_decode_words(rows[i].in, strlen(rows[i].in), out, sizeof(out));
		assert_int_not_equal(n, (size_t)-1);
		assert_string_equal(out, rows[i].out);
	}
	assert_int_equal(mime_decode_words("=?utf-8?q?abcdef?=", 18, out, 4), (size_t)-1);
}

static void
test_decoders(void **state)
{
	struct mime_dec d;
	unsigned char out[64 + MIME_DEC_SLACK];
	size_t n;

	(void)state;
	mime_dec_init(&d, ENC_BASE64);
	n = mime_dec_feed(&d, (const unsigned char *)"SGVsbG8sIHdvcmxk", 16, out);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "Hello, world", 12);
	mime_dec_init(&d, ENC_QP);
	n = mime_dec_feed(&d, (const unsigned char *)"caf=C3=A9 =\r\nok \t", 17, out);
	n += mime_dec_finish(&d, out + n);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "caf\xc3\xa9 ok", 8);
}

/* base64 decoded in one piece (the four-character fast path) and one
 * character at a time (never a whole quantum: the general loop) gives the
 * same bytes, for input with line breaks, junk, '=' padding in the middle
 * and quanta broken across pieces; and with no output buffer the same
 * count. */
static void
test_base64_fast_path(void **state)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char in[4096], whole[4096 + MIME_DEC_SLACK], bytewise[4096 + MIME_DEC_SLACK];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 200; round++) {
		struct mime_dec d;
		size_t n = 0, nw, nb = 0, nc = 0, len = (size_t)(round * 17 % 4000) + 1;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) % 100;
			/* every other round: '=' and junk rare, runs of 16 clean */
			if (round % 2 == 1 && r < 97)
				r = r < 95 ? 0 : 92;
			else if (round % 2 == 1)
				r = r == 99 ? (unsigned)((seed >> 3) & 1) * 99 : 97;
			in[i] = r < 90 ? (unsigned char)alpha[(seed >> 8) % 64] : r < 94 ? '\r' :
			    r < 97 ? '\n' : r < 99 ? '=' : (unsigned char)(0x80 | (seed >> 9));
			n++;
		}
		struct mime_dec dw;

		mime_dec_init(&d, ENC_BASE64);
		nw = mime_dec_feed(&d, in, n, whole);
		dw = d;
		mime_dec_init(&d, ENC_BASE64);
		for (size_t i = 0; i < n; i++)
			nb += mime_dec_feed(&d, in + i, 1, bytewise + nb);
		assert_int_equal(nw, nb);
		assert_memory_equal(whole, bytewise, nw);
		/* counting (16 bytes at a time where it can), in pieces of
		 * several sizes, leaves the decoder where decoding leaves it */
		static const size_t step[] = { 7, 16, 37, 300, 4096 };
		for (size_t s = 0; s < sizeof(step) / sizeof(step[0]); s++) {
			nc = 0;
			mime_dec_init(&d, ENC_BASE64);
			for (size_t i = 0; i < n; i += step[s])
				nc += mime_dec_feed(&d, in + i, n - i < step[s] ? n - i : step[s], NULL);
			assert_int_equal(nc, nw);
			assert_int_equal(d.nbits, dw.nbits);
			assert_int_equal(d.bits, dw.bits);
			assert_int_equal(d.b64_pad, dw.b64_pad);
		}
		/* counting a prefix, then decoding the rest: the same bytes */
		size_t cut = n / 3 + (size_t)round % 5, n1, n2;
		if (cut > n)
			cut = n;
		mime_dec_init(&d, ENC_BASE64);
		n1 = mime_dec_feed(&d, in, cut, NULL);
		n2 = mime_dec_feed(&d, in + cut, n - cut, bytewise);
		assert_int_equal(n1 + n2, nw);
		assert_memory_equal(bytewise, whole + n1, n2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_uu_blocks_move_parts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_parse_field),
		cmocka_unit_test(test_param_variants),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_base64_fast_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
