# postfix.sh - a private, throw-away Postfix instance for milter tests.
#
# Needs tap.sh (sourced first), postfix (Debian 12: 3.7), swaks, python3,
# and root (master(8) must start as root).  $POSTFIX_BIN and $SWAKS (from
# configure, optional) name the binaries; postconf/postqueue are taken from
# postfix's directory.
#
#     postfix_start [MILTER_SPEC]   e.g. inet:127.0.0.1:PORT, unix:/path or
#                                   empty for no milter.  Extra main.cf
#                                   lines may be given in $PF_EXTRA_MAIN_CF,
#                                   extra master.cf lines (a second smtpd
#                                   with -o options) in $PF_EXTRA_MASTER_CF.
#                                   Exports PF_PORT PF_DIR PF_CONF PF_MAILDIR
#                                   PF_LOG.  Stopped automatically on exit.
#     postfix_require               skip the test unless root; bail out
#                                   unless postfix and swaks are installed
#     postfix_stop                  "postfix stop", then kill what is left
#     pf_postconf ARGS...           postconf -c $PF_CONF ARGS (e.g. -e k=v;
#                                   then "pf_reload")
#     pf_reload                     postfix reload
#     pf_delivered                  list delivered files (maildir new/+cur/)
#     pf_wait_delivered N [SECS]    wait until >= N delivered (default 20 s)
#     pf_delivered_subject SUBJECT  print the delivered file whose Subject
#                                   is SUBJECT (waits up to 20 s)
#     pf_headers FILE               the header block of a delivered file
#     pf_flush                      postqueue -f (retry deferred mail)
#     pf_queue                      postqueue -p (the queue listing)
#     smtp_send [SWAKS ARGS...]     swaks against 127.0.0.1:$PF_PORT with
#                                   defaults --from sender@example.org
#                                   --to user@example.com --helo
#                                   client.example (later args override);
#                                   e.g. --xclient-addr 192.0.2.10
#                                   --xclient-name mail.example.net.  The
#                                   transcript goes to $SMTP_OUT if set, else
#                                   $TEST_TMPDIR/smtp.N.log; its name is left
#                                   in $SMTP_LOG.  Returns swaks' status
#                                   (0 = accepted; 23/24/25/... = rejected at
#                                   MAIL/RCPT/DATA; see swaks(1)).
#
# Layout under $PF_DIR ($TEST_TMPDIR/postfix): conf/ (main.cf, master.cf),
# queue/, data/, mail/inbox/{new,cur,tmp} (ONE virtual(8) maildir for all
# recipients, owned by nobody; virtual(8) adds Delivered-To: and
# X-Original-To: headers to tell recipients apart), log/maillog (written by
# postlogd), log/master.out, log/stop.out (output of postfix start-fg / stop, reload).
# Mail for any user at example.com, example.net and example.org is delivered
# there; everything else bounces (default_transport = error), nothing leaves.
#
# Quirks found (Postfix 3.7.11, Debian 12):
#  - "postfix -c DIR" needs no /etc/postfix/main.cf when run as root: the
#    alternate_config_directories check only applies to set-gid commands
#    run by non-root users.  postfix-script still uses meta_directory
#    (/etc/postfix: postfix-files, dynamicmaps.cf) and the real
#    postfix/postdrop accounts (mail_owner/setgid_group), which post-install
#    uses to create queue/ and data/ with the right owners.
#  - If /etc/postfix/main.cf exists and sets multi_instance_directories,
#    "postfix start-fg" refuses to run.
#  - start-fg (3.7) is not an exec: postfix -> postfix-script (sh) ->
#    "master -s"; master then setsid()s.  On SIGTERM master kills its process
#    group and exits at once, so its children are orphaned; as PID 1 here
#    does not reap, they would stay as zombies.  We therefore run the whole
#    thing under a subreaper (spawn in tap.sh) that collects them.
#  - "postfix reload" (postfix-script) runs "postsuper &" and returns: that
#    orphan would become a zombie as well, so pf_reload also uses "reaped".
#  - maillog_file needs a "postlog unix-dgram" service in master.cf (else
#    check-fatal aborts start) and must be under maillog_file_prefixes.
#  - virtual_mailbox_maps: regexp tables may not use $1 substitution there
#    (security restriction), hence static:inbox/ (one maildir for all).
#  - data_directory must not be pre-created by root: post-install only
#    creates missing dirs (owned by postfix), it does not chown existing
#    ones, and master then cannot create data/master.lock.
#  - virtual_mailbox_limit (default 51200000) must be >= message_size_limit,
#    else virtual(8) is fatal; we set it to 0.
#  - virtual(8) will not deliver as uid < virtual_minimum_uid (100, so not
#    as root); we use nobody:nogroup, hence $TEST_TMPDIR is mode 0755.
#  - The postfix and nobody users must be able to traverse every directory
#    above $TEST_TMPDIR: a private TMPDIR (mode 0700) makes start fail
#    ("open lock file .../data/master.lock: Permission denied"), so
#    postfix_start checks this up front with runuser(1).
#  - Debian's default alias_maps = hash:/etc/aliases; cleared here to avoid
#    warnings about a missing /etc/aliases.db.

_PF_POSTFIX=${POSTFIX_BIN:-postfix}
_PF_SBIN=${_PF_POSTFIX%postfix}     # "" or "/usr/sbin/"
PF_DIR='' PF_CONF='' PF_PORT='' PF_MAILDIR='' PF_LOG='' PF_PID=''
_SMTP_N=0

postfix_require() {
    [ "$(id -u)" = 0 ] || skip_all "Postfix's master must start as root"
    command -v postfix >/dev/null || PATH=$PATH:/usr/sbin
    command -v postfix >/dev/null || bail_out "postfix not installed"
    command -v swaks >/dev/null || bail_out "swaks not installed"
}

postfix_start() {
    local milter=${1:-} q i
    [ -z "$PF_PID" ] || { echo "postfix: already running" >&2; return 1; }
    [ "$(id -u)" = 0 ] || { echo "postfix: must run as root" >&2; return 1; }
    tmpdir_make
    PF_DIR=$TEST_TMPDIR/postfix
    PF_CONF=$PF_DIR/conf
    PF_MAILDIR=$PF_DIR/mail
    PF_LOG=$PF_DIR/log/maillog
    # data/ is left to post-install (it must be owned by postfix)
    mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/log" "$PF_MAILDIR" ||
        return 1
    chown nobody:nogroup "$PF_MAILDIR"
    for u in postfix nobody; do
        runuser -u $u -- test -x "$PF_DIR/." || {
            echo "postfix: user $u cannot reach $PF_DIR; make TMPDIR" \
                 "(${TMPDIR:-/tmp}) world-searchable or unset it" >&2
            return 1
        }
    done
    PF_PORT=$(free_port tcp) || return 1
    cat > "$PF_CONF/main.cf" <<CF
# generated by tests/lib/postfix.sh
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = mx.test.example
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP postern-test
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
message_size_limit = 60000000
virtual_mailbox_limit = 0
virtual_mailbox_domains = example.com, example.net, example.org
virtual_mailbox_base = $PF_MAILDIR
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
virtual_minimum_uid = 100
default_transport = error:5.7.1 outbound mail disabled in postern tests
relay_transport = \$default_transport
alias_maps =
alias_database =
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
maillog_file = $PF_LOG
maillog_file_prefixes = $TEST_TMPDIR
biff = no
append_dot_mydomain = no
${PF_EXTRA_MAIN_CF:-}
CF
    cat > "$PF_CONF/master.cf" <<CF
# generated by tests/lib/postfix.sh; chroot = n everywhere
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
${PF_EXTRA_MASTER_CF:-}
CF
    on_exit postfix_stop
    spawn PF_PID "$PF_DIR/log/master.out" "$_PF_POSTFIX" -c "$PF_CONF" start-fg
    export PF_DIR PF_CONF PF_PORT PF_MAILDIR PF_LOG
    # wait for the SMTP banner
    for ((i = 0; i < 150; i++)); do
        if kill -0 "$PF_PID" 2>/dev/null; then
            if { exec 9<>"/dev/tcp/127.0.0.1/$PF_PORT"; } 2>/dev/null; then
                read -r -t 5 q <&9
                printf 'QUIT\r\n' >&9
                exec 9>&-
                case $q in 220*) return 0;; esac
            fi
        else
            break
        fi
        sleep 0.2
    done
    echo "postfix: did not start; output:" >&2
    cat "$PF_DIR/log/master.out" "$PF_LOG" >&2 2>/dev/null
    return 1
}

postfix_stop() {
    [ -n "$PF_PID" ] || return 0
    local i
    reaped "$_PF_POSTFIX" -c "$PF_CONF" stop >>"$PF_DIR/log/stop.out" 2>&1
    for ((i = 0; i < 100; i++)); do           # up to 10 s for all to exit
        kill -0 "$PF_PID" 2>/dev/null || break
        sleep 0.1
    done
    reap_stop "$PF_PID"                       # the reaper kills leftovers
    PF_PID=
}

pf_postconf() { "${_PF_SBIN}postconf" -c "$PF_CONF" "$@"; }
# reload forks a background "postsuper &" that would be orphaned: reap it
pf_reload()   { reaped "$_PF_POSTFIX" -c "$PF_CONF" reload >>"$PF_DIR/log/stop.out" 2>&1; }
pf_flush()    { "${_PF_SBIN}postqueue" -c "$PF_CONF" -f; }
pf_queue()    { "${_PF_SBIN}postqueue" -c "$PF_CONF" -p; }

pf_delivered() {
    find "$PF_MAILDIR" -type f \( -path '*/new/*' -o -path '*/cur/*' \) | sort
}

pf_wait_delivered() {
    local want=$1 secs=${2:-20} i n=0
    for ((i = 0; i < secs * 10; i++)); do
        n=$(pf_delivered | wc -l)
        [ "$n" -ge "$want" ] && return 0
        sleep 0.1
    done
    echo "postfix: $n of $want messages delivered after ${secs}s" >&2
    return 1
}

pf_delivered_subject() {
    local f
    for _ in $(seq 1 200); do
        f=$(grep -l -s "^Subject: $1\$" $(pf_delivered) 2>/dev/null | head -n 1)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    return 1
}

pf_headers() { sed '/^$/q' "$1"; }

smtp_send() {
    _SMTP_N=$((_SMTP_N + 1))
    SMTP_LOG=${SMTP_OUT:-$TEST_TMPDIR/smtp.$_SMTP_N.log}
    "${SWAKS:-swaks}" --server 127.0.0.1 --port "$PF_PORT" --timeout 30 \
        --helo client.example --from sender@example.org --to user@example.com \
        "$@" >"$SMTP_LOG" 2>&1 </dev/null
}
