#!/usr/bin/env bash
# Line coverage of maple/src that the fuzz corpus reaches: runs `cargo fuzz coverage` for
# every target over its corpus, merges the profiles, and prints llvm-cov's report for
# maple/src (per file and in total). An HTML report goes to fuzz/coverage/html/.
#
#   fuzz/coverage.sh [targets (all)]
#
# Needs cargo-fuzz, a nightly toolchain and its llvm-tools (`rustup +nightly component add
# llvm-tools-preview`; the system's llvm-cov is usually too old for nightly's profiles).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
read -r -a targets <<<"${1:-tree_ops cursor prealloc clone alloc vma_ops}"

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
llvm="$(rustc +nightly --print sysroot)/lib/rustlib/$triple/bin"
if [[ ! -x $llvm/llvm-cov ]]; then
    rustup +nightly component add llvm-tools-preview
fi

binaries=()
profiles=()
for target in "${targets[@]}"; do
    echo "==> cargo fuzz coverage $target" >&2
    cargo +nightly fuzz coverage "$target" "corpus/$target" >&2
    binaries+=("target/$triple/coverage/$triple/release/$target")
    profiles+=("coverage/$target/coverage.profdata")
done

"$llvm/llvm-profdata" merge -sparse "${profiles[@]}" -o coverage/all.profdata
# llvm-cov takes the first binary as is and the others after -object.
objects=("${binaries[0]}")
for binary in "${binaries[@]:1}"; do
    objects+=(-object "$binary")
done
# Only the tree's own sources: maple/src/ (the test kit, the targets and std are left out).
filter=(-ignore-filename-regex='^(/rustc/|.*/\.cargo/|.*/(testkit|fuzz|tests)/)')
"$llvm/llvm-cov" show "${objects[@]}" -instr-profile=coverage/all.profdata \
    "${filter[@]}" -format=html -output-dir=coverage/html >/dev/null
"$llvm/llvm-cov" report "${objects[@]}" -instr-profile=coverage/all.profdata \
    "${filter[@]}"
