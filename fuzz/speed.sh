#!/usr/bin/env bash
# Executions per second of every fuzz target, as fuzz/README.md quotes them: each target runs
# for the given time from a scratch copy of its checked-in corpus (the corpus itself is left
# as it is), one job, with its dictionary. Printed: the rate libFuzzer reports at the end
# (executions over wall-clock seconds, the corpus replay included) and executions per second
# of CPU time the target got (user + system), which does not depend on how busy a shared
# machine is. Run it several times and quote the median.
#
#   fuzz/speed.sh [seconds per target (60)] [targets (all)]
#
# Env: SEED (libFuzzer -seed, default 1: runs of one commit then replay the same mutations, so
# two commits' rates compare the code, not the luck of the draw); BIN, a directory of already
# built targets (default: builds them with
# `cargo +nightly fuzz build --sanitizer none --no-trace-compares` and uses fuzz/target/<triple>/release).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
. ./options.sh
limit=${1:-60}
read -r -a targets <<<"${2:-tree_ops cursor prealloc clone alloc vma_ops}"

if [[ -z ${BIN:-} ]]; then
    triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
    cargo +nightly fuzz build --sanitizer none --no-trace-compares >&2
    BIN=target/$triple/release
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '| target | exec/s (wall) | exec/s (CPU) | executions | CPU s | corpus | coverage |\n'
printf '|---|---|---|---|---|---|---|\n'
TIMEFORMAT='%U %S'
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    cp corpus/"$target"/* "$work/$target/"
    mapfile -t flags < <(target_flags "$target") # -max_len, -dict (options.sh)
    { time "$BIN/$target" "$work/$target" -seed="${SEED:-1}" -max_total_time="$limit" "${flags[@]}" \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$work/" -print_final_stats=1 >"$work/$target.log" 2>&1; } \
        2>"$work/$target.time" || {
        echo "$target: crashed, see below" >&2
        tail -40 "$work/$target.log" >&2
        exit 1
    }
    cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$work/$target.time")
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$target.log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
    cov=$(sed -E -n 's/.* cov: ([0-9]+) .*/\1/p' <<<"$done_line")
    corp=$(sed -E -n 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
    per_cpu=$(awk -v n="$execs" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
    printf '| `%s` | %s | %s | %s | %s | %s | %s |\n' "$target" "$rate" "$per_cpu" "$execs" "$cpu" "$corp" "$cov"
done
