#!/usr/bin/env bash
# Proof that the loom model tests of `SharedMapleTree` (maple/tests/loom_shared.rs) find each
# planted class-I bug: runs the models once per plant (feature `planted-bugs`,
# `MAPLE_PLANT=<letter>`) and fails unless every run fails with loom's report of a read
# racing the writer (or a reader's check). The unplanted run is `.ci/run`'s loom step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export RUSTFLAGS="--cfg loom"
# A target directory of its own: `--cfg loom` rebuilds every crate.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
cargo test -p maple-tree --release --features planted-bugs --test loom_shared --no-run
status=0
for plant in I R; do
    log=$(mktemp)
    if MAPLE_PLANT=$plant cargo test -p maple-tree --release --features planted-bugs --test loom_shared >"$log" 2>&1; then
        echo "plant $plant: NOT FOUND (the loom models passed with it)"
        status=1
    elif grep -q -e "Causality violation" -e "was never stored" -e "unpublished state" "$log"; then
        echo "plant $plant: found ($(grep -c '^test .* FAILED$' "$log") of 3 models fail; $(grep -m1 -o -e 'Causality violation[^.]*' -e 'was never stored' -e 'unpublished state' "$log"))"
    else
        echo "plant $plant: the run failed for another reason:"
        tail -30 "$log"
        status=1
    fi
    rm -f "$log"
done
exit $status
