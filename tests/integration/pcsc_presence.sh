#!/usr/bin/env bash
# Integration: hsm/'s presence watcher against a real PC/SC daemon — pcscd with the
# vsmartcard vpcd driver (a virtual reader on a loopback port) and a virtual card
# (tests/tools/vpcd_card.py: the card is in while it is connected):
#  - an empty reader is absent, the card connected is present, disconnected absent,
#    back present (SCardGetStatusChange), each change seen within a deadline;
#  - a reader PC/SC does not know is absent.
# pcscd's socket is machine-wide (/run/pcscd/pcscd.comm, compiled in), so this test
# runs only as root, with pcscd and vsmartcard-vpcd installed and no other pcscd
# running (else it is skipped: exit 77); it starts its own pcscd and stops it.
. "$(dirname "$0")/lib.sh"

TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)
VPCD=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (pcscd's socket is in /run/pcscd)"
command -v pcscd >/dev/null || skip "pcscd not installed (scripts/install-deps test)"
[ -r "$VPCD" ] || skip "vsmartcard-vpcd not installed (scripts/install-deps test)"
command -v python3 >/dev/null || skip "python3 not installed"
pgrep -x pcscd >/dev/null && skip "another pcscd is running"
[ -e /run/pcscd/pcscd.comm ] && skip "/run/pcscd/pcscd.comm exists (the host's pcscd or its socket activation)"
: "${PRESENCE_WATCH:?PRESENCE_WATCH must name the presence_watch tool}"

PCSCD_PID= CARD_PID= WATCH_PID=
# stop_pid PID — ends a process this test started, and waits for it
stop_pid() { [ -z "$1" ] || { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }; }
pcsc_cleanup() { stop_pid "$CARD_PID"; stop_pid "$WATCH_PID"; stop_pid "$PCSCD_PID"; }
trap 'rc=$?; pcsc_cleanup; (exit $rc); cleanup' EXIT

# a loopback port whose next one is free too (vpcd opens one per slot)
PORT=$(python3 -c '
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    try:
        b = socket.socket(); b.bind(("127.0.0.1", p + 1)); b.close(); print(p); break
    except OSError:
        pass
    finally:
        a.close()')
mkdir -p "$T/reader.conf.d"
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n' \
	"$PORT" "$VPCD" "$PORT" >"$T/reader.conf.d/vpcd"
pcscd --foreground --config "$T/reader.conf.d" >"$T/pcscd.log" 2>&1 &
PCSCD_PID=$!
for _ in $(seq 1 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
[ -S /run/pcscd/pcscd.comm ] || fail "pcscd did not start: $(cat "$T/pcscd.log")"
ok "pcscd started with a vpcd reader on port $PORT"

READER="Virtual PCD 00 00"
"$PRESENCE_WATCH" "$READER" 50 >"$T/states" 2>"$T/watch.err" &
WATCH_PID=$!
# states_are WANT... — the states printed so far are exactly WANT (one a line)
states_are() { [ "$(tr '\n' ' ' <"$T/states")" = "$* " ]; }
# wait_states WHAT WANT... — polls until the printed states are WANT (20 s deadline)
wait_states() {
	local what=$1 i
	shift
	for i in $(seq 1 100); do states_are "$@" && { ok "$what"; return 0; }; sleep 0.2; done
	fail "$what: states '$(tr '\n' ' ' <"$T/states")', want '$*' ($(cat "$T/watch.err"))"
}

wait_states "an empty reader is absent" absent
python3 "$TOOLS/vpcd_card.py" "$PORT" &
CARD_PID=$!
wait_states "the card inserted: present" absent present
stop_pid "$CARD_PID"
CARD_PID=
wait_states "the card removed: absent" absent present absent
python3 "$TOOLS/vpcd_card.py" "$PORT" &
CARD_PID=$!
wait_states "the card back: present" absent present absent present
stop_pid "$WATCH_PID"
WATCH_PID=

"$PRESENCE_WATCH" "No Such Reader 00 00" 50 >"$T/states" 2>"$T/watch.err" &
WATCH_PID=$!
wait_states "a reader PC/SC does not know is absent" absent
