#!/usr/bin/env bash
# A long campaign: every target in turn, libFuzzer's fork mode with two workers (crashes do
# not stop it), from a scratch copy of its checked-in corpus, for the given time each.
# Prints one row per target: executions, coverage and features at the end, corpus size,
# crashes, timeouts and out-of-memory inputs; crash inputs are kept in
# fuzz/artifacts/campaign/<target>/ and the grown corpus in fuzz/artifacts/campaign/corpus/.
#
#   fuzz/campaign.sh [seconds per target (600)] ["target ..." (all, from `cargo fuzz list`)]
#
# Env: BIN, a directory of already built targets (default: builds them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
. ./options.sh
limit=${1:-600}
read -r -a targets <<<"${2:-$(cargo fuzz list | tr '\n' ' ')}"
workers=${WORKERS:-2}

if [[ -z ${BIN:-} ]]; then
    triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
    cargo +nightly fuzz build --sanitizer none --no-trace-compares >&2
    BIN=target/$triple/release
fi

printf '| target | seconds | executions | exec/s | cov | ft | corpus | crash/timeout/oom |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for target in "${targets[@]}"; do
    out=artifacts/campaign
    mkdir -p "$out/$target" "$out/corpus/$target"
    cp corpus/"$target"/* "$out/corpus/$target/"
    log=$out/$target.log
    mapfile -t flags < <(target_flags "$target") # -max_len, -dict (options.sh)
    "$BIN/$target" "$out/corpus/$target" -fork="$workers" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$limit" "${flags[@]}" -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$out/$target/" >"$log" 2>&1 || true
    # Fork mode's status lines: "#<execs>: cov: C ft: F corp: N exec/s: E oom/timeout/crash: a/b/c time: Ts ..."
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
    execs=$(sed -E -n 's/^#([0-9]+):.*/\1/p' <<<"$last")
    field() { sed -E -n "s|.* $1: ([^ ]+).*|\\1|p" <<<"$last"; }
    IFS=/ read -r oom timeout crash <<<"$(field oom/timeout/crash)"
    printf '| `%s` | %s | %s | %s | %s | %s | %s | %s/%s/%s |\n' "$target" "$(field time | tr -d s)" "$execs" \
        "$(field exec/s)" "$(field cov)" "$(field ft)" "$(field corp)" "$crash" "$timeout" "$oom"
done
