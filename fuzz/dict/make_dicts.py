#!/usr/bin/env python3
"""Writes one libFuzzer dictionary per target (<target>.dict) from the shapes of the
`arbitrary`-derived operation enums in testkit/src/fuzz/ and cursor_model.rs.

`arbitrary` picks an enum variant from a little-endian u32 d as (d * variants) >> 32, reads
integers little-endian and a bool from the low bit of a byte. The tokens are: each variant of
the target's operation enum, the keys the tree's bugs live at (`Key::Edge(..)`,
`Key::Any(0 / 1 / MAX-1 / MAX)`, a boundary of an existing entry ±1), range ends
(`Len::ToMax`, `Len::To(..)`), and the raw edge values. Re-run after changing an enum:
    python3 fuzz/dict/make_dicts.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def variant(k, n):
    """The 4 bytes that make `arbitrary` choose variant k of n."""
    return struct.pack("<I", (k * 2**32 + 2**31) // n)


KEY = {name: variant(i, 4) for i, name in enumerate(["Boundary", "Edge", "Small", "Any"])}
EDGES = ["Zero", "One", "Two", "MaxMinus2", "MaxMinus1", "Max"]
LEN = {name: variant(i, 5) for i, name in enumerate(["Short", "Medium", "Wide", "To", "ToMax"])}
MAX = 2**64 - 1


def common():
    tokens = {}
    for i, edge in enumerate(EDGES):
        tokens[f"key_edge_{edge}"] = KEY["Edge"] + variant(i, 6)
    for name, value in [("0", 0), ("1", 1), ("max_minus_1", MAX - 1), ("max", MAX)]:
        tokens[f"key_any_{name}"] = KEY["Any"] + struct.pack("<Q", value)
        tokens[f"u64_{name}"] = struct.pack("<Q", value)
    for i, nudge in enumerate(["minus", "zero", "plus"]):
        # Boundary { entry: u16, last: bool, nudge }: entry 0, its last key, nudged.
        tokens[f"key_boundary_last_{nudge}"] = KEY["Boundary"] + b"\x00\x00\x01" + variant(i, 3)
    tokens["len_to_max"] = LEN["ToMax"]
    tokens["len_to_edge_max"] = LEN["To"] + KEY["Edge"] + variant(5, 6)
    tokens["span_edge_zero_to_max"] = KEY["Edge"] + variant(0, 6) + LEN["ToMax"]
    return tokens


def enum_tokens(prefix, names):
    return {f"{prefix}_{name}": variant(i, len(names)) for i, name in enumerate(names)}


TREE_OP = ["Store", "Insert", "Remove", "Erase", "Load", "Find", "Fill", "EraseRun", "Rebuild", "Clear"]
TARGETS = {
    "tree_ops": enum_tokens("op", TREE_OP),
    "cursor": {
        **enum_tokens("op", ["Move", "Set", "SetRange", "Reset", "Pause", "Store", "Erase", "Preallocate", "Tree"]),
        **enum_tokens("move", ["Walk", "Find", "FindRange", "FindRev", "FindRangeRev", "Next", "NextRange", "Prev",
                               "PrevRange"]),
        **enum_tokens("tree_op", TREE_OP),
    },
    "prealloc": {
        **enum_tokens("op", ["Tree", "Reserve", "Failing"]),
        **enum_tokens("write", ["Store", "Insert", "Remove", "Erase"]),
        **enum_tokens("tree_op", TREE_OP),
    },
    "alloc": {
        **enum_tokens("op", ["Tree", "Search", "Alloc", "Cyclic", "CursorFill"]),
        **enum_tokens("size", ["OfHole", "One", "Small", "Huge", "Any"]),
        **enum_tokens("tree_op", TREE_OP),
    },
    "clone": {
        **enum_tokens("op", ["A", "B", "Both", "CloneAtoB", "CloneBtoA", "Swap"]),
        **enum_tokens("tree_op", TREE_OP),
    },
}

for target, tokens in TARGETS.items():
    tokens = {**tokens, **common()}
    with open(os.path.join(HERE, f"{target}.dict"), "w") as f:
        f.write(f"# libFuzzer dictionary of the {target} target; written by make_dicts.py, do not edit.\n")
        for name, data in tokens.items():
            f.write(f'{name}="' + "".join(f"\\x{b:02x}" for b in data) + '"\n')
