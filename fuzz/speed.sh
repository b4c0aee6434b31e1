#!/usr/bin/env bash
# Executions per second of every fuzz target, as fuzz/README.md quotes them: each target runs
# for the given time from a scratch copy of its checked-in corpus (the corpus itself is left
# as it is), one job, with its dictionary, and the rate libFuzzer reports at the end (total
# executions over the run, the corpus replay included) is printed. Run it niced on a shared
# machine, several times, and quote the median.
#
#   fuzz/speed.sh [seconds per target (60)] [targets (all)]
#
# Env: BIN, a directory of already built targets (default: builds them with
# `cargo +nightly fuzz build --sanitizer none` and uses fuzz/target/<triple>/release).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
limit=${1:-60}
read -r -a targets <<<"${2:-tree_ops cursor prealloc clone alloc vma_ops}"

if [[ -z ${BIN:-} ]]; then
    triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
    cargo +nightly fuzz build --sanitizer none >&2
    BIN=target/$triple/release
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '| target | exec/s | executions | corpus | coverage |\n|---|---|---|---|---|\n'
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    cp corpus/"$target"/* "$work/$target/"
    "$BIN/$target" "$work/$target" -max_total_time="$limit" -max_len=4096 -dict="dict/$target.dict" \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$work/" -print_final_stats=1 >"$work/$target.log" 2>&1 || {
        echo "$target: crashed, see below" >&2
        tail -40 "$work/$target.log" >&2
        exit 1
    }
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$target.log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
    cov=$(sed -E -n 's/.* cov: ([0-9]+) .*/\1/p' <<<"$done_line")
    corp=$(sed -E -n 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
    printf '| `%s` | %s | %s | %s | %s |\n' "$target" "$rate" "$execs" "$corp" "$cov"
done
