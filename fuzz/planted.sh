#!/usr/bin/env bash
# Proof that the fuzz campaigns work: builds every target with the testing-only
# `planted-bugs` feature, then runs each target against each planted historical bug
# (MAPLE_PLANT=<letter>: the tree's A-J in maple/src/plant.rs, the VMA manager's S and P in
# vma/src/plant.rs; docs/bug-classes.md) from an empty corpus, one job, with a time limit,
# and prints a table of the seconds to the first crash, wall clock and (in parentheses) CPU
# time the run got, which does not depend on how busy a shared machine is ("-" = not found in
# time). Tree bugs run against the five tree targets, VMA bugs against vma_ops ("." = not
# run).
#
#   fuzz/planted.sh [seconds per run (60)] [bugs (A B C D E F G H J S P)] [targets (all)]
#
# Env: SEED (libFuzzer -seed, default 1), CORPUS=seed to start from the checked-in corpus
# instead of an empty one. Needs cargo-fuzz and a nightly toolchain. Each crashing input is
# kept as fuzz/artifacts/planted/<bug>-<target>.crash. Exits non-zero if some bug is found by
# no target.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
. ./options.sh
limit=${1:-60}
read -r -a bugs <<<"${2:-A B C D E F G H J S P}"
read -r -a targets <<<"${3:-tree_ops cursor prealloc clone alloc vma_ops}"
vma_bugs="S P"
seed=${SEED:-1}

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
target_dir=target/planted
echo "building the targets with --features planted-bugs (into fuzz/$target_dir)" >&2
# No AddressSanitizer: the crates forbid `unsafe`, so it could find nothing; it would only
# slow every run down (see README.md).
cargo +nightly fuzz build --sanitizer none --no-trace-compares --features planted-bugs --target-dir "$target_dir" >&2
bin=$target_dir/$triple/release

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds (one decimal, wall and CPU) until `target` crashes with bug `bug` planted, or "-".
detect() {
    local bug=$1 target=$2 dir="$work/$1-$2"
    mkdir -p "$dir/corpus"
    if [[ ${CORPUS:-} == seed ]]; then cp corpus/"$target"/* "$dir/corpus/"; fi
    local start end status=0 TIMEFORMAT='%U %S' flags
    mapfile -t flags < <(target_flags "$target") # -max_len, -dict (options.sh)
    start=$(date +%s.%N)
    { time MAPLE_PLANT=$bug "$bin/$target" "$dir/corpus" -seed="$seed" -max_total_time="$limit" "${flags[@]}" \
        -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$dir/" \
        >"$dir/log" 2>&1; } 2>"$dir/time" || status=$?
    end=$(date +%s.%N)
    if [[ $status -ne 0 ]] && compgen -G "$dir/crash-*" >/dev/null; then
        awk -v s="$start" -v e="$end" '{ printf "%.1f (%.1f)", e - s, $1 + $2 }' "$dir/time"
        mkdir -p artifacts/planted
        cp "$dir"/crash-* "artifacts/planted/$bug-$target.crash"
    else
        printf -- "-"
    fi
}

printf '| bug | %s |\n' "$(IFS='|'; echo "${targets[*]}" | sed 's/|/ | /g')"
printf '|---|%s\n' "$(printf -- '---|%.0s' "${targets[@]}")"
missed=()
for bug in "${bugs[@]}"; do
    row="| $bug |"
    found=0
    for target in "${targets[@]}"; do
        vma_bug=0 vma_target=0
        [[ " $vma_bugs " == *" $bug "* ]] && vma_bug=1
        [[ $target == vma_ops ]] && vma_target=1
        if [[ $vma_bug != "$vma_target" ]]; then
            row+=" . |"
            continue
        fi
        t=$(detect "$bug" "$target")
        [[ $t != - ]] && found=1
        row+=" $t |"
    done
    echo "$row"
    [[ $found == 1 ]] || missed+=("$bug")
done
echo
echo "seconds (wall, and CPU in parentheses) to the first crash, from $( [[ ${CORPUS:-} == seed ]] && echo 'the seed corpus' || echo 'an empty corpus'), one job, -seed=$seed, limit ${limit}s; - = not found"
if [[ ${#missed[@]} -gt 0 ]]; then
    echo "NOT FOUND by any target: ${missed[*]}"
    exit 1
fi
