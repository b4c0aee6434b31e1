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
    # A range ending at an existing entry's last key: where a spanning store meets a node's
    # maximum (planted bug C).
    tokens["len_to_boundary_last"] = LEN["To"] + KEY["Boundary"] + b"\x00\x00\x01" + variant(1, 3)
    # Fill { first: 0, count: 255, width: 0, gap: 0 }: 255 single keys in a row, a tree of two
    # or three levels from 16 bytes.
    tokens["fill_dense_255"] = variant(TREE_OP.index("Fill"), len(TREE_OP)) + KEY["Edge"] + variant(0, 6) + b"\xff\x00\x00\x00"
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



def vma_api():
    """`testkit/src/vma/api.rs`: configurations, calls, and the addresses, lengths and flag
    values where Linux's argument checks draw their lines (no `common()`: no tree keys)."""
    addr = {name: variant(i, 4) for i, name in enumerate(["Page", "Boundary", "Edge", "Any"])}
    length = {name: variant(i, 4) for i, name in enumerate(["Pages", "Bytes", "NearMax", "Any"])}
    bits_any = variant(2, 3)
    tokens = {
        **enum_tokens("config", ["Oracle", "Default", "Raw"]),
        **enum_tokens("call", ["Mmap", "Munmap", "Mprotect", "Mremap", "Madvise", "Mlock", "Munlock", "Fault",
                               "Brk", "SetBrkBase", "SetStartStack", "Split", "Insert", "ModifyFlags", "Merge",
                               "Expand", "Shrink", "Fork", "Compact", "Queries"]),
        **enum_tokens("bits", ["Common", "CommonPlus", "Any"]),
    }
    edges = ["Zero", "OnePage", "MinAddr", "MmapBase", "TaskSizeMinusPage", "TaskSize", "MaxMinusPage", "Max"]
    for i, edge in enumerate(edges):
        tokens[f"addr_edge_{edge}"] = addr["Edge"] + variant(i, len(edges))
    for end in (0, 1):
        for nudge, name in [(0, "at"), (0xFF, "page_below"), (1, "page_above")]:
            # Boundary { vma: u8, end: bool, nudge: i8, bytes: i8 }
            tokens[f"addr_boundary_{'end' if end else 'start'}_{name}"] = addr["Boundary"] + bytes([0, end, nudge, 0])
    tokens["addr_boundary_start_byte_above"] = addr["Boundary"] + bytes([0, 0, 0, 1])
    for pages in (1, 2, 16):
        tokens[f"len_pages_{pages}"] = length["Pages"] + bytes([pages])
    tokens["len_bytes_0"] = length["Bytes"] + struct.pack("<H", 0)
    tokens["len_bytes_1"] = length["Bytes"] + struct.pack("<H", 1)
    tokens["len_near_max_0"] = length["NearMax"] + struct.pack("<H", 0)
    tokens["len_near_max_page"] = length["NearMax"] + struct.pack("<H", 4095)
    for name, value in [("0", 0), ("max", MAX), ("2_pow_47", 2**47), ("2_pow_63", 2**63)]:
        tokens[f"len_any_{name}"] = length["Any"] + struct.pack("<Q", value)
        tokens[f"addr_any_{name}"] = addr["Any"] + struct.pack("<Q", value)
    # Flag bits at the edges of what Linux accepts: MAP_SHARED_VALIDATE, MAP_FIXED,
    # MAP_FIXED_NOREPLACE, MAP_GROWSDOWN; PROT_GROWSDOWN/UP, PROT_SEM; MREMAP_DONTUNMAP;
    # and every bit.
    for name, value in [("shared_validate", 0x03), ("fixed", 0x10), ("fixed_noreplace", 0x100000),
                        ("growsdown", 0x100), ("prot_growsdown", 0x01000000), ("prot_growsup", 0x02000000),
                        ("prot_sem", 0x8), ("mremap_dontunmap", 0x4), ("all", 0xFFFFFFFF)]:
        tokens[f"bits_any_{name}"] = bits_any + struct.pack("<I", value)
    tokens["u64_max"] = struct.pack("<Q", MAX)
    return tokens


for target, tokens in [*((t, {**tokens, **common()}) for t, tokens in TARGETS.items()), ("vma_api", vma_api())]:
    with open(os.path.join(HERE, f"{target}.dict"), "w") as f:
        f.write(f"# libFuzzer dictionary of the {target} target; written by make_dicts.py, do not edit.\n")
        for name, data in tokens.items():
            f.write(f'{name}="' + "".join(f"\\x{b:02x}" for b in data) + '"\n')
