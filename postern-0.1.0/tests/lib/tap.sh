# tap.sh - tiny TAP producer + cleanup helpers for postern's shell tests.
#
# Source it from a test script (automake runs tests with cwd = build dir):
#     . "${srcdir:-.}/tests/lib/tap.sh"
#
# TAP (stdout; read by automake's tap-driver.sh):
#     tap_plan N              print "1..N" up front, or ...
#     tap_done                ... print "1..<count>" at the end; returns 1 if
#                             any test failed (use it as the script's last
#                             command so the exit status reflects failures)
#     ok STATUS "desc"        pass iff STATUS (an exit status) is 0:
#                                 grep -q foo file; ok $? "found foo"
#     run_ok "desc" CMD...    run CMD (output to stderr), pass iff it succeeds
#     is GOT EXPECTED "desc"  string equality
#     like GOT REGEX "desc"   bash ERE match ([[ $got =~ $re ]])
#     skip "reason"           a passing "ok N # SKIP reason"
#     skip_all "reason"       "1..0 # SKIP reason", exit 0 (before any test)
#     bail_out "reason"       "Bail out! reason", exit 1
#     diag "text"             "# text" lines on stdout (multi-line ok)
#     diag_file FILE          a file's content as diagnostics
#
# Cleanup:
#     on_exit CMD...          push a command (string, eval'd) on a stack that
#                             one EXIT trap runs in reverse order (LIFO);
#                             INT/TERM/HUP are turned into exit, so it runs too
#     tmpdir_make             create $TEST_TMPDIR (mktemp -d under
#                             ${TMPDIR:-/tmp}, mode 0755 so daemons running
#                             as other uids can traverse it) and register its
#                             removal; idempotent.  Set KEEP_TMPDIR=1 to keep.
#     free_port [tcp|udp|both]  print a currently free 127.0.0.1 port
#                             (default tcp; "both" = free for TCP and UDP)
#
# Processes (PID 1 of the test container does not reap orphans, so daemons
# run under a python3 "child subreaper", see REAPER_PY below):
#     spawn VAR LOG CMD...    start CMD in the background, output to LOG;
#                             VAR := pid of its subreaper, which lives until
#                             CMD and everything it forked are gone
#     reap_stop PID           SIGTERM that whole tree, wait for it
#     reaped CMD...           run CMD in the foreground, reaping its orphans
#
# All helpers run in the current shell: do not call tmpdir_make, on_exit or
# the *_start functions of the other libraries inside $(...) subshells.

TAP_N=0          # tests run so far
TAP_FAILED=0     # failed tests so far
TAP_PLANNED=     # set by tap_plan

tap_plan() { TAP_PLANNED=$1; echo "1..$1"; }

_tap_result() {     # _tap_result STATUS DESC
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $2"
    fi
    return "$1"
}

ok() {
    case $1 in ''|*[!0-9]*) set -- 1 "$2 (bad status '$1')";; esac
    _tap_result "$1" "$2"
}

run_ok() {
    local desc=$1; shift
    "$@" >&2
    _tap_result $? "$desc"
}

is() {
    if [ "$1" = "$2" ]; then _tap_result 0 "$3"; return; fi
    _tap_result 1 "$3"
    diag "     got: '$1'" "expected: '$2'"
    return 1
}

like() {
    if [[ $1 =~ $2 ]]; then _tap_result 0 "$3"; return; fi
    _tap_result 1 "$3"
    diag "           got: '$1'" "doesn't match: /$2/"
    return 1
}

skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $1"; }

skip_all() { echo "1..0 # SKIP $1"; exit 0; }

bail_out() { echo "Bail out! $1"; exit 1; }

diag() {
    local l
    for l in "$@"; do
        printf '%s\n' "$l" | sed 's/^/# /'
    done
}

diag_file() { [ -f "$1" ] && sed 's/^/# /' "$1"; }

tap_done() {
    if [ -z "$TAP_PLANNED" ]; then
        echo "1..$TAP_N"
    elif [ "$TAP_PLANNED" -ne "$TAP_N" ]; then
        diag "planned $TAP_PLANNED tests but ran $TAP_N"
        return 1
    fi
    [ "$TAP_FAILED" -eq 0 ] || { diag "failed $TAP_FAILED of $TAP_N tests"; return 1; }
}

# ---- cleanup stack -------------------------------------------------------
_TAP_HOOKS=()

on_exit() { _TAP_HOOKS+=("$*"); }

_tap_run_hooks() {
    local rc=$? i
    trap - EXIT
    for ((i = ${#_TAP_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${_TAP_HOOKS[i]}" >&2 || :
    done
    _TAP_HOOKS=()
    exit "$rc"
}
trap _tap_run_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tmpdir_make() {
    [ -n "${TEST_TMPDIR:-}" ] && [ -d "$TEST_TMPDIR" ] && return 0
    TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/postern-test.XXXXXX") ||
        bail_out "mktemp -d failed"
    chmod 755 "$TEST_TMPDIR"
    export TEST_TMPDIR
    on_exit _tmpdir_remove
}

_tmpdir_remove() {
    if [ -n "${KEEP_TMPDIR:-}" ]; then
        echo "# kept $TEST_TMPDIR"
    else
        rm -rf "$TEST_TMPDIR"
    fi
}

# ---- ports -----------------------------------------------------------------
free_port() {
    python3 - "${1:-tcp}" <<'PY'
import socket, sys
kind = sys.argv[1]
for _ in range(50):
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    if kind == "both":      # also free for UDP?
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            s.close(); continue
        u.close()
    s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
}

# ---- subreaper ---------------------------------------------------------------
# REAPER_PY: python3 program "REAPER_PY CMD ARGS...": runs CMD as a child
# subreaper (PR_SET_CHILD_SUBREAPER), reaps CMD and all processes it
# orphans, and exits (with CMD's status) only when all of them are gone.
# On SIGTERM/INT/HUP it sends SIGTERM to all its descendants (SIGKILL after
# 5 s).  Dead man's switch: if its parent (the test shell) dies, it does the
# same, so even "kill -9" of a test leaves nothing behind.
REAPER_PY='
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)        # PR_SET_CHILD_SUBREAPER
me, parent = os.getpid(), os.getppid()
def descendants():
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [me]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c); todo.append(c)
    return out
def killall(sig):
    for p in descendants():
        try: os.kill(p, sig)
        except OSError: pass
deadline = None
def stop(*_):
    global deadline
    killall(signal.SIGTERM)
    if deadline is None: deadline = time.time() + 5
sigs = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
for s in sigs: signal.signal(s, stop)
pid = os.fork()
if pid == 0:
    for s in sigs: signal.signal(s, signal.SIG_DFL)
    try: os.execvp(sys.argv[1], sys.argv[1:])
    finally: os._exit(127)
rc = 0
while True:
    try: p, st = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError: break
    if p == pid:
        rc = os.waitstatus_to_exitcode(st)
        rc = 128 - rc if rc < 0 else rc
    if p == 0:
        if os.getppid() != parent and deadline is None: stop()
        if deadline is not None and time.time() > deadline: killall(signal.SIGKILL)
        time.sleep(0.05)
sys.exit(rc)
'

# reaped CMD...: run CMD in the foreground under the subreaper (waits for
# everything CMD forks, e.g. "postfix reload" which backgrounds postsuper).
reaped() { python3 -c "$REAPER_PY" "$@"; }

# spawn VAR LOG CMD...: start CMD in the background under the subreaper,
# stdout+stderr to LOG, stdin from /dev/null; VAR := the subreaper's pid.
# Register your stop hook with on_exit *before* calling spawn.
spawn() {
    local _var=$1 _log=$2; shift 2
    python3 -c "$REAPER_PY" "$@" >"$_log" 2>&1 </dev/null &
    eval "$_var=\$!"
}

# reap_stop PID: SIGTERM the subreaper PID (i.e. its whole process tree)
# and wait for it; returns its exit status.
reap_stop() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
