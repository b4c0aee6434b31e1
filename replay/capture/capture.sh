#!/usr/bin/env bash
# Capture a program's memory system calls with strace, plus /proc/self/maps at the start and
# at the end of every process it runs, for `maple-replay replay`. See README.md beside this file.
#
#   replay/capture/capture.sh [-o OUTDIR] [-s "EXTRA STRACE OPTIONS"] [-k] NAME -- PROGRAM [ARGS...]
#
# Writes OUTDIR/NAME/ (default OUTDIR: replay/traces): strace.log.gz, <pid>.start.maps.gz and
# <pid>.end.maps.gz for every process that loaded the helper, and meta.txt (command, kernel,
# tool versions). -k keeps the files uncompressed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir="$here/../traces"
extra=""
compress=1
while getopts "o:s:k" opt; do
    case $opt in
        o) outdir=$OPTARG ;;
        s) extra=$OPTARG ;;
        k) compress=0 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] && [ "$2" = "--" ] || { echo "usage: $0 [-o OUTDIR] [-s OPTS] [-k] NAME -- PROGRAM [ARGS...]" >&2; exit 2; }
name=$1
shift 2

command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
command -v gcc >/dev/null || { echo "gcc is needed to build the helper" >&2; exit 1; }

dest="$outdir/$name"
rm -rf "$dest"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -shared -fPIC -o "$work/maple_capture.so" "$here/maple_capture.c"

# -E puts the helper into the traced program's environment only, not into strace's own.
# shellcheck disable=SC2086
strace -f -y $extra -e trace=%memory,%process -o "$dest/strace.log" \
    -E LD_PRELOAD="$work/maple_capture.so" -E MAPLE_CAPTURE_DIR="$dest" \
    "$@" >"$work/stdout" 2>"$work/stderr" || {
    echo "the traced program failed; its stderr:" >&2
    tail -n 20 "$work/stderr" >&2
    exit 1
}

{
    echo "command: $*"
    echo "strace options: -f -y $extra -e trace=%memory,%process"
    echo "kernel: $(uname -srm)"
    echo "strace: $(strace -V | head -n 1)"
    echo "captured: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "processes with both dumps: $(cd "$dest" && ls ./*.end.maps 2>/dev/null | wc -l)"
} >"$dest/meta.txt"

if [ "$compress" = 1 ]; then
    gzip -9 -n "$dest"/strace.log "$dest"/*.maps
fi
du -sh "$dest"
