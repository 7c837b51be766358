#!/usr/bin/env bash
# Boot an irqos ISO in Bochs, headless (display_library: term on its own pty, tools/bochsrc.template),
# with COM1 written to a file that is followed on this terminal. Bochs ends on "Shutdown" at port 0x8900
# (poweroff, the end of a ktest run), after TIMEOUT seconds (0: never), or on Ctrl-C.
# Bochs ignores SIGTERM, so it is stopped with SIGKILL; it runs in its own session (setsid), so the
# terminal's Ctrl-C reaches this script, which then ends it.
#   tools/run-bochs.sh ISO SERIAL_LOG [TIMEOUT]     (BOCHS_QUIET=1: do not echo the serial log;
#                                                    BX_CPUS=N: CPUs, default 2)
set -u
iso=$1 serial=$2 timeout=${3:-0}
dir=$(dirname "$serial")
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/bochsrc.template" "$dir/bochsrc"
printf 'c\n' > "$dir/bochs.rc"      # the Debian build includes the debugger: continue at its prompt
: > "$serial"
BX_ISO=$iso BX_SERIAL=$serial BX_LOG=$dir/bochs.log BX_CPUS=${BX_CPUS:-2} \
    setsid bochs -q -f "$dir/bochsrc" -rc "$dir/bochs.rc" </dev/null >"$dir/bochs.stdout" 2>&1 &
bx=$!
trap 'kill -9 $bx 2>/dev/null' INT TERM EXIT
if [ "$timeout" != 0 ]; then
    ( sleep "$timeout"; kill -9 $bx 2>/dev/null ) &
    watchdog=$!
fi
if [ "${BOCHS_QUIET:-0}" = 0 ]; then
    tail -n +1 -f --pid=$bx "$serial"
fi
wait $bx
rc=$?
[ -n "${watchdog:-}" ] && kill $watchdog 2>/dev/null
echo "irqos: Bochs exited ($rc)"
