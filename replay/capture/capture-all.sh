#!/usr/bin/env bash
# Re-captures every bundled trace in replay/traces/ on this machine (they differ from machine
# to machine: library versions, ASLR). Needs strace, gcc, python3, perl and git.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python=/usr/bin/python3   # the real interpreter, not a shell shim that re-executes
"$here/capture.sh" python3 -- "$python" "$here/python_workload.py"

python3 "$here/gen_big_c.py" 2500 >"$work/big.c"
"$here/capture.sh" -s "-tt" gcc -- gcc -O2 -c -o "$work/big.o" "$work/big.c"

"$here/capture.sh" -s "-ttt -X verbose" git -- git -C "$repo" --no-pager log --stat -n 200

"$here/capture.sh" perl -- perl -e 'my %h; $h{$_} = "x" x ($_ % 300) for 1..100000; my @s = sort keys %h; print scalar(@s), "\n"'

gcc -O2 -pthread -o "$work/threads" "$here/threads.c"
"$here/capture.sh" threads -- "$work/threads"

gcc -O2 -o "$work/fork" "$here/fork.c"
"$here/capture.sh" fork -- "$work/fork"
