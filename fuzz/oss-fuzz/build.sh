#!/bin/bash -eu
# Builds every maple fuzz target for OSS-Fuzz or ClusterFuzzLite (base-builder-rust image):
# the binaries, a seed corpus and a dictionary per target, into $OUT. Run from anywhere
# inside the image ($SRC/maple is the repository), or locally as
# `OUT=/tmp/out fuzz/oss-fuzz/build.sh`.
if [[ -n ${SRC:-} && -d $SRC/maple/fuzz ]]; then
    cd "$SRC/maple/fuzz"
else
    cd "$(dirname "$0")/.."
fi

# -O: optimised; --debug-assertions: the allocator's reservation check (bug class H) and the
# overflow checks (class J) stay on, as in fuzz/Cargo.toml's profile.
# --no-trace-compares: see Cargo.toml (comparison tracing stays on for maple-vma and
# maple-replay).
cargo fuzz build -O --debug-assertions --no-trace-compares
. ./options.sh

release=target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
    cp "$release/$target" "$OUT/"
    # The options every local run uses (options.sh): max_len, and the dictionary if any.
    printf '[libfuzzer]\nmax_len = %s\n' "$(max_len "$target")" >"$OUT/$target.options"
    if [[ -s dict/$target.dict ]]; then
        cp "dict/$target.dict" "$OUT/$target.dict"
        printf 'dict = %s.dict\n' "$target" >>"$OUT/$target.options"
    fi
    (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
