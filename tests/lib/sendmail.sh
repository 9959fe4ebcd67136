# sendmail.sh - a private, throw-away Sendmail for milter tests.
#
# Debian's sendmail-bin conflicts with Postfix, so it is never installed:
# sendmail_fetch downloads sendmail-bin, sendmail-base and sendmail-cf with
# "apt-get download" and unpacks them with "dpkg -x" into a cache directory
# ($SENDMAIL_CACHE, default /var/cache/postern-tests/sendmail-VERSION), once;
# later runs reuse it.  The shared libraries it links (libsasl2-2,
# liblockfile1, libwrap0, libdb5.3, ...) and m4, unshare(1), swaks and
# saslpasswd2 (sasl2-bin) are ordinary packages: contrib/deps.sh.
#
# Needs tap.sh (sourced first) and root: Sendmail runs in its own mount
# namespace (unshare -m) where the test's own /etc/hosts (its host name
# mx.test.example on 127.0.0.1, so that it never waits on DNS for its own
# name), /etc/resolv.conf (nameserver 127.0.0.1: look-ups fail at once) and
# /usr/lib/sasl2 (Sendmail.conf: SASL PLAIN/LOGIN over a private sasldb) are
# bind-mounted; nothing outside $TEST_TMPDIR is written.
#
#     sendmail_require          skip unless root; bail out unless it can
#                               be fetched and the tools are there
#     sendmail_start MILTER     MILTER: a libmilter socket spec
#                               (inet:PORT@127.0.0.1, local:/path).  The .mc
#                               (the INPUT_MAIL_FILTER line and macro lists
#                               of contrib/sendmail/postern.mc) is built into
#                               a private .cf with the package's cf.m4.
#                               Exports SM_PORT (daemon "MTA": AUTH offered),
#                               SM_MSA_PORT (daemon "MSA", M=E: AUTH not required, so that {daemon_name} alone decides), SM_DIR,
#                               SM_MAIL (one file per delivered message,
#                               USER.PID.eml), SM_LOG (daemon output),
#                               SM_AUTH_USER / SM_AUTH_PASS (a sasldb user).
#                               Stopped automatically on exit.
#     sendmail_stop             SIGTERM the daemon, wait for its children
#     sm_send [SWAKS ARGS]      swaks to 127.0.0.1:$SM_PORT with defaults
#                               --from sender@example.org --to
#                               user@example.com --helo client.example; the
#                               transcript in $SMTP_LOG (or $SMTP_OUT).
#                               Use --local-interface 127.0.0.N to pick the
#                               client address (any 127/8 address works)
#                               and --port "$SM_MSA_PORT" for the MSA.
#     sm_delivered              list delivered files
#     sm_delivered_subject S    the delivered file whose Subject is S
#                               (waits up to 20 s)
#     sm_headers FILE           the header block of a delivered file
#     sm_queue_id FILE          the queue id in the transcript FILE's
#                               "250 2.0.0 <id> Message accepted" line
#
# Quirks found (Sendmail 8.17.1.9, Debian 12, in this sandbox):
#  - At start Sendmail resolves its own host name and, if it is unqualified
#    or unknown, logs "My unqualified host name ... sleeping for retry" and
#    sleeps 60 s; hence the private /etc/hosts naming mx.test.example.
#  - There is no /dev/log here: Sendmail's own log goes nowhere.  -X (the
#    SMTP trace in $SM_DIR/trace) and the swaks transcripts are what remain.
#  - The local mailer's default flags include w (user must exist in
#    passwd) and A (aliases); MODIFY_MAILER_FLAGS(`LOCAL', `-wA') drops
#    both, so user@example.com lands in capture.sh as "user".
#  - FEATURE(local_procmail)'s default flags have f (-f SENDER before the
#    user argument): given explicitly here without it.
#  - Load average: with QueueLA/RefuseLA at their defaults (8 and 12,
#    cf/m4/proto.m4) a busy test machine makes Sendmail queue mail instead of
#    delivering it, or refuse connections: both are set out of reach here.
#  - Sendmail checks every directory above its queue, cf and sasldb:
#    DontBlameSendmail=TrustStickyBit lets /tmp (mode 1777) pass.
#  - Cyrus SASL reads Sendmail.conf from /etc/sasl2, /etc/sasl,
#    /usr/lib/x86_64-linux-gnu/sasl2, /usr/lib/sasl2; Sendmail empties its
#    environment, so SASL_CONF_PATH cannot point elsewhere: the bind mount.

SENDMAIL_PKGS="sendmail-bin sendmail-base sendmail-cf"
SM_DIR='' SM_PORT='' SM_MSA_PORT='' SM_MAIL='' SM_LOG='' _SM_PID=''
SM_AUTH_USER=submitter SM_AUTH_PASS=postern-test-pw
_SM_N=0

# sendmail_fetch: prints the cache root (holding usr/libexec/sendmail and
# usr/share/sendmail/cf) on stdout; downloads only when it is missing.
sendmail_fetch() {
	local ver cache tmp
	ver=$(apt-cache policy sendmail-bin 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "sendmail-bin unknown to apt" >&2; return 1; }
	cache=${SENDMAIL_CACHE:-/var/cache/postern-tests/sendmail-$ver}
	if [ ! -x "$cache/usr/libexec/sendmail/sendmail" ]; then
		mkdir -p "$(dirname "$cache")" || return 1
		tmp=$(mktemp -d "$(dirname "$cache")/fetch.XXXXXX") || return 1
		# apt's _apt user must be able to write the download directory
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get download -q $(for p in $SENDMAIL_PKGS; do echo "$p=$ver"; done)) >&2 &&
			for d in "$tmp"/*.deb; do dpkg -x "$d" "$tmp/root" || exit 1; done &&
			rm -rf "$cache" && mv "$tmp/root" "$cache"
		local rc=$?
		rm -rf "$tmp"
		[ $rc = 0 ] || { echo "sendmail: apt-get download / dpkg -x failed" >&2; return 1; }
	fi
	echo "$cache"
}

sendmail_require() {
	[ "$(id -u)" = 0 ] || skip_all "Sendmail runs in a private mount namespace (unshare -m): needs root"
	local t
	for t in m4 unshare swaks saslpasswd2 apt-get dpkg; do
		command -v $t >/dev/null || PATH=$PATH:/usr/sbin
		command -v $t >/dev/null || bail_out "$t not installed (contrib/deps.sh)"
	done
	unshare -m true 2>/dev/null || skip_all "unshare -m does not work here"
	_SM_ROOT=$(sendmail_fetch) || bail_out "Sendmail could not be fetched"
	local missing
	missing=$(ldd "$_SM_ROOT/usr/libexec/sendmail/sendmail" | awk '/not found/ { print $1 }')
	[ -z "$missing" ] || bail_out "Sendmail needs libraries: $missing (contrib/deps.sh)"
}

# _sm_mc MILTER: the test's .mc on stdout
_sm_mc() {
	local cf=$_SM_ROOT/usr/share/sendmail/cf
	cat <<MC
divert(-1)
# generated by tests/lib/sendmail.sh
divert(0)dnl
include(\`$cf/m4/cf.m4')dnl
VERSIONID(\`postern e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.test.example')dnl
define(\`QUEUE_DIR', \`$SM_DIR/queue')dnl
define(\`STATUS_FILE', \`$SM_DIR/statistics')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`HELP_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit,GroupWritableDirPathSafe,RunProgramInUnsafeDirPath')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDELIVERY_MODE', \`interactive')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`local_procmail', \`$SM_DIR/capture.sh', \`capture.sh \$u', \`SPhn9')dnl
MODIFY_MAILER_FLAGS(\`LOCAL', \`-wA')dnl
LOCAL_DOMAIN(\`example.com example.net example.org')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
DAEMON_OPTIONS(\`Port=$SM_MSA_PORT, Addr=127.0.0.1, Name=MSA, M=E')dnl
MC
	# the snippet administrators are given, with this test's socket
	sed -e "s|S=local:/run/postern/postern.sock|S=$1|" -e '/^dnl DAEMON_OPTIONS/d' \
		"${top_srcdir:-.}/contrib/sendmail/postern.mc"
	cat <<MC
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
}

sendmail_start() {
	local milter=$1 i q
	[ -z "$_SM_PID" ] || { echo "sendmail: already running" >&2; return 1; }
	[ -n "${_SM_ROOT:-}" ] || sendmail_require
	tmpdir_make
	SM_DIR=$TEST_TMPDIR/sendmail
	SM_MAIL=$SM_DIR/mail
	SM_LOG=$SM_DIR/daemon.log
	mkdir -p "$SM_DIR/queue" "$SM_MAIL" "$SM_DIR/sasl2" || return 1
	chmod 700 "$SM_DIR/queue"
	SM_PORT=$(free_port tcp) && SM_MSA_PORT=$(free_port tcp) || return 1
	[ "$SM_PORT" != "$SM_MSA_PORT" ] || SM_MSA_PORT=$(free_port tcp)
	cat >"$SM_DIR/capture.sh" <<SH
#!/bin/sh
# capture.sh USER: the local mailer; one file per delivered message
umask 022
cat >"$SM_MAIL/\$1.\$\$.tmp" && mv "$SM_MAIL/\$1.\$\$.tmp" "$SM_MAIL/\$1.\$\$.eml"
SH
	chmod 755 "$SM_DIR/capture.sh"
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	printf '127.0.0.1 mx.test.example localhost %s\n::1 localhost ip6-localhost\n' "$(hostname)" >"$SM_DIR/hosts"
	echo 'nameserver 127.0.0.1' >"$SM_DIR/resolv.conf"
	cat >"$SM_DIR/sasl2/Sendmail.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $SM_DIR/sasldb2
mech_list: PLAIN LOGIN
CONF
	echo "$SM_AUTH_PASS" | saslpasswd2 -f "$SM_DIR/sasldb2" -p -c -u mx.test.example "$SM_AUTH_USER" ||
		return 1
	chmod 600 "$SM_DIR/sasldb2"
	_sm_mc "$milter" >"$SM_DIR/sendmail.mc"
	m4 -D_CF_DIR_="$_SM_ROOT/usr/share/sendmail/cf/" "$SM_DIR/sendmail.mc" \
		>"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.err" || { cat "$SM_DIR/m4.err" >&2; return 1; }
	[ ! -s "$SM_DIR/m4.err" ] || { cat "$SM_DIR/m4.err" >&2; return 1; }
	on_exit sendmail_stop
	spawn _SM_PID "$SM_LOG" unshare -m sh -c '
		d=$1 sm=$2
		mount --bind "$d/hosts" /etc/hosts &&
		mount --bind "$d/resolv.conf" /etc/resolv.conf &&
		mount --bind "$d/sasl2" /usr/lib/sasl2 &&
		exec "$sm" -C "$d/sendmail.cf" -bD -X "$d/trace"' sh "$SM_DIR" \
		"$_SM_ROOT/usr/libexec/sendmail/sendmail"
	export SM_DIR SM_PORT SM_MSA_PORT SM_MAIL SM_LOG SM_AUTH_USER SM_AUTH_PASS
	for ((i = 0; i < 300; i++)); do
		kill -0 "$_SM_PID" 2>/dev/null || break
		if { exec 9<>"/dev/tcp/127.0.0.1/$SM_MSA_PORT"; } 2>/dev/null; then
			exec 9>&-
			if { exec 9<>"/dev/tcp/127.0.0.1/$SM_PORT"; } 2>/dev/null; then
				read -r -t 5 q <&9
				printf 'QUIT\r\n' >&9
				exec 9>&-
				case $q in 220*) return 0 ;; esac
			fi
		fi
		sleep 0.1
	done
	echo "sendmail: did not answer on $SM_PORT/$SM_MSA_PORT within 30 s (load: $(cat /proc/loadavg)); output:" >&2
	cat "$SM_LOG" "$SM_DIR/trace" >&2 2>/dev/null
	return 1
}

sendmail_stop() {
	[ -n "$_SM_PID" ] || return 0
	reap_stop "$_SM_PID"
	_SM_PID=
}

sm_send() {
	_SM_N=$((_SM_N + 1))
	SMTP_LOG=${SMTP_OUT:-$TEST_TMPDIR/sm-smtp.$_SM_N.log}
	"${SWAKS:-swaks}" --server 127.0.0.1 --port "$SM_PORT" --timeout 30 \
		--helo client.example --from sender@example.org --to user@example.com \
		"$@" >"$SMTP_LOG" 2>&1 </dev/null
}

sm_delivered() { find "$SM_MAIL" -type f -name '*.eml' | sort; }

sm_delivered_subject() {
	local f
	for _ in $(seq 1 200); do
		f=$(grep -l -s "^Subject: $1\$" $(sm_delivered) 2>/dev/null | head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

sm_headers() { sed '/^$/q' "$1"; }

sm_queue_id() { sed -n -E 's/^<- +250 2\.0\.0 ([A-Za-z0-9]+) Message accepted.*/\1/p' "$1" | tail -n 1; }
