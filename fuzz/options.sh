# Sourced by ci.sh, speed.sh, planted.sh, campaign.sh and oss-fuzz/build.sh: the libFuzzer
# options that belong to a target, so that every run of it (CI, measurements, the planted-bug
# proof, campaigns, OSS-Fuzz) fuzzes the same way.
#
# max_len: 1024 bytes for the tree targets (about 100 operations; `Fill` grows a tree of
# several levels from 16 bytes, so depth needs no long input), which keeps them above 1,000
# executions per second; 4096 for the others (a VMA target's input is a random source that
# long scenarios drain; a parser's input is text). The dictionary, when the target has one.

# The maximum input length of target $1.
max_len() {
    case $1 in
        tree_ops | cursor | prealloc | clone | alloc) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer flags for target $1 (run from fuzz/): -max_len, and -dict if it has one.
target_flags() {
    printf -- '-max_len=%s\n' "$(max_len "$1")"
    if [[ -s dict/$1.dict ]]; then printf -- '-dict=dict/%s.dict\n' "$1"; fi
}
