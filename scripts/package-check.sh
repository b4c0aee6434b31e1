#!/bin/sh
# Packages maple-tree and maple-vma as they would be published, then builds and tests each
# unpacked package on its own, outside the workspace. Run from anywhere; works offline once
# the dependencies are in cargo's cache. For CI: `scripts/package-check.sh`.
#
# * Both crates are packaged in one `cargo package` call: cargo then verifies maple-vma
#   against the just-packaged maple-tree through a temporary local registry, so the
#   unpublished dependency needs no `--no-verify`.
# * The packages leave out `tests/` (the integration tests need the workspace's test kit, a
#   path-only dev-dependency that packaging drops): inside a package `cargo test` runs the
#   unit tests, the examples' builds and the doc tests (README included).
# * The unpacked maple-vma resolves maple-tree 0.1 to the unpacked maple-tree (a `[patch]`
#   given on the command line), as it will resolve to the published one.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
offline=""
if [ "${CARGO_NET_OFFLINE:-}" = "true" ] || ! cargo fetch --quiet >/dev/null 2>&1; then
    offline="--offline"
fi
cargo package -p maple-tree -p maple-vma $offline --allow-dirty
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crate in maple-tree maple-vma; do
    tar xzf "target/package/$crate-0.1.0.crate" -C "$work"
done
tree="$work/maple-tree-0.1.0"
echo "== cargo test in the unpacked maple-tree"
(cd "$tree" && CARGO_TARGET_DIR="$work/target" cargo test $offline)
echo "== cargo test in the unpacked maple-vma"
(cd "$work/maple-vma-0.1.0" && CARGO_TARGET_DIR="$work/target" cargo test $offline \
    --config "patch.crates-io.maple-tree.path=\"$tree\"")
echo "== both packages build and pass their tests on their own"
