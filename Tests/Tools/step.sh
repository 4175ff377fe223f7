#!/usr/bin/env bash
# Runs one `make test` step with its output kept in a log file, not on the terminal:
#
#   Tests/Tools/step.sh NAME SECONDS COMMAND [ARGUMENTS...]
#
# The whole output goes to .build/test-logs/NAME.log; what is printed is one line (passed,
# with the time and the log's last summary line) or, when the step fails, its failure lines
# and the log's last 120 lines. A step still running after SECONDS is a hang, not a slow test: the stacks of
# every thread of its processes are written to the log (gdb, else the toolchain's lldb)
# and printed, and the step is stopped and fails, so that a hang is diagnosed in minutes
# instead of running into CI's limit silently.
set -uo pipefail
name=$1 limit=$2
shift 2
mkdir -p .build/test-logs
log=.build/test-logs/$name.log
: >"$log"
start=$(date +%s)
# Its own process group, so that the whole tree can be found and stopped.
setsid "$@" >"$log" 2>&1 </dev/null &
leader=$!
# Interrupted (Ctrl-C, or CI stopping make): the step's whole group goes too.
trap 'kill -TERM -- -"$leader" 2>/dev/null; exit 143' INT TERM HUP
while kill -0 "$leader" 2>/dev/null; do
    if (($(date +%s) - start >= limit)); then
        {
            echo "=== $name: still running after ${limit} s: the stacks of its processes ==="
            ps -o pid,ppid,etimes,args --forest -g "$leader" 2>/dev/null
            for pid in $(pgrep -g "$leader"); do
                echo "--- pid $pid: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-200)"
                if command -v gdb >/dev/null; then
                    timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt" 2>&1 | grep -E '^(Thread|#)' | head -400
                elif command -v lldb >/dev/null; then
                    timeout 60 lldb -p "$pid" --batch -o "thread backtrace all" 2>&1 | head -400
                fi
            done
        } >>"$log" 2>&1
        kill -KILL -- -"$leader" 2>/dev/null
        wait "$leader" 2>/dev/null
        tail -n 400 "$log"
        echo "$name: FAILED: a hang (no end within ${limit} s); the full output is in $log"
        exit 124
    fi
    sleep 1
done
wait "$leader"
status=$?
elapsed=$(($(date +%s) - start))
if ((status != 0)); then
    echo "=== $name: the failures ==="
    grep -E '✘|error:|FAIL|Fatal error' "$log" | head -n 80
    echo "=== $name: the end of its output ==="
    tail -n 120 "$log"
    echo "$name: FAILED (exit status $status, ${elapsed} s); the full output is in $log"
    exit "$status"
fi
summary=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-160)
echo "$name: passed (${elapsed} s): $summary"
