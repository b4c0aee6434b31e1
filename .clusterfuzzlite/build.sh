#!/bin/bash -eu
# ClusterFuzzLite runs $SRC/build.sh; the real build script is shared with OSS-Fuzz.
exec "$SRC/maple/fuzz/oss-fuzz/build.sh"
