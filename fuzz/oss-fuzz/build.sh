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
cargo fuzz build -O --debug-assertions

release=target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
    cp "$release/$target" "$OUT/"
    cp "dict/$target.dict" "$OUT/$target.dict"
    printf '[libfuzzer]\nmax_len = 4096\ndict = %s.dict\n' "$target" >"$OUT/$target.options"
    (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
