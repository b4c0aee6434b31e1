#!/usr/bin/env bash
# CI for the fuzz targets: builds every target with cargo-fuzz on nightly, then runs each
# for a short smoke run from its checked-in corpus (a scratch copy; the corpus is left as it
# is) with a fixed seed, failing on any crash, leak or timeout. Installs cargo-fuzz when it is missing
# (`cargo install --locked`, which needs only the crate registry). Offline, or without a
# nightly toolchain, it says SKIPPED and exits 0, as the CI's no_std target step does.
#
#   fuzz/ci.sh [seconds per target (20)] ["target ..." (all, from `cargo fuzz list`)]
#
# Built without AddressSanitizer, as every campaign here is (the crates forbid `unsafe`; see
# README.md), and with comparison tracing only in maple-vma and maple-replay
# (`--no-trace-compares` plus Cargo.toml's per-package flags). A crash leaves its input in
# fuzz/artifacts/ci/<target>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
. ./options.sh
limit=${1:-20}

step() { printf '\n==> %s\n' "$*"; }

if ! rustc +nightly --version >/dev/null 2>&1; then
    step "SKIPPED: the fuzz targets (no nightly toolchain)"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    step "cargo install cargo-fuzz --locked"
    if ! cargo install cargo-fuzz --locked; then
        step "SKIPPED: the fuzz targets (cargo-fuzz is not installed and cannot be)"
        exit 0
    fi
fi
step "$(cargo fuzz --version), $(rustc +nightly --version)"
# Every target of fuzz/Cargo.toml unless the caller names some.
read -r -a targets <<<"${2:-$(cargo fuzz list | tr '\n' ' ')}"

step "cargo +nightly fuzz build --sanitizer none --no-trace-compares (every target)"
cargo +nightly fuzz build --sanitizer none --no-trace-compares

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=target/$triple/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    step "$target: ${limit} s from corpus/$target"
    mkdir -p "$work/$target" "artifacts/ci/$target"
    cp corpus/"$target"/* "$work/$target/"
    mapfile -t flags < <(target_flags "$target") # -max_len, -dict (options.sh)
    # A fixed seed: libFuzzer's mutations then follow the binary, the corpus and the seed
    # (bar compared values it picks up at run time, such as addresses), so a longer local
    # run of the same commit (`fuzz/ci.sh 120`) tries first what CI will try. New inputs
    # come from campaigns (fuzz/README.md), not from CI.
    if ! "$bin/$target" "$work/$target" -seed=1 -max_total_time="$limit" "${flags[@]}" \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="artifacts/ci/$target/" >"$work/$target.log" 2>&1; then
        tail -60 "$work/$target.log"
        echo "FAILED: $target crashed; the input is in fuzz/artifacts/ci/$target/" >&2
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$target.log" | tail -1
done
step "every fuzz target built and ran ${limit} s without a crash"
