#!/usr/bin/env bash
# Boot an irqos ISO in Bochs, headless (display_library: term, its screen drained by
# tools/bochs_headless.py; tools/bochsrc.template), with COM1 written to a file that is followed on this
# terminal. Bochs ends on "Shutdown" at port 0x8900 (poweroff, the end of a ktest run), after TIMEOUT
# seconds (0: never), or on Ctrl-C. Bochs's own output goes to bochs.stdout beside the serial log.
#   tools/run-bochs.sh ISO SERIAL_LOG [TIMEOUT]     (BOCHS_QUIET=1: do not echo the serial log;
#                                                    BX_CPUS=N: CPUs, default 2)
set -u
iso=$1 serial=$2 timeout=${3:-0}
dir=$(dirname "$serial")
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/bochsrc.template" "$dir/bochsrc"
printf 'c\n' > "$dir/bochs.rc"      # the Debian build includes the debugger: continue at its prompt
: > "$serial"
# The helper runs Bochs in its own session, ends it after TIMEOUT, and on SIGTERM ends it first.
BX_ISO=$iso BX_SERIAL=$serial BX_LOG=$dir/bochs.log BX_CPUS=${BX_CPUS:-2} \
    python3 "$here/bochs_headless.py" "$dir/bochsrc" "$dir/bochs.rc" "$timeout" "$dir/bochs.stdout" </dev/null &
bx=$!
tailer=
stop() { kill -TERM $bx 2>/dev/null; wait $bx 2>/dev/null; [ -n "$tailer" ] && kill $tailer 2>/dev/null; }
# `wait` (unlike a foreground command) returns at once on a signal, so Ctrl-C or SIGTERM ends Bochs now.
trap 'stop; exit 130' INT TERM
trap stop EXIT
if [ "${BOCHS_QUIET:-0}" = 0 ]; then
    tail -n +1 -f --pid=$bx "$serial" &
    tailer=$!
fi
wait $bx
rc=$?
[ -n "$tailer" ] && wait $tailer
trap - INT TERM EXIT
echo "irqos: Bochs exited ($rc)"
