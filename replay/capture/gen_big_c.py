#!/usr/bin/env python3
"""Writes a large, deterministic C file to stdout for the bundled `gcc` trace: many
functions with loops, switches and inlinable helpers, so that cc1 builds a sizeable
GC heap."""
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600
out = ["#include <stddef.h>", "#include <string.h>", ""]
for i in range(N):
    out.append(f"static inline int helper_{i}(int x) {{ return (x * {i + 3}) ^ (x >> {i % 7 + 1}); }}")
    out.append(f"struct rec_{i} {{ int a; long b; char name[{i % 32 + 8}]; double v[{i % 5 + 1}]; }};")
    out.append(f"int fn_{i}(struct rec_{i} *r, const int *in, size_t n) {{")
    out.append("    int acc = 0;")
    out.append("    for (size_t k = 0; k < n; k++) {")
    out.append(f"        switch ((in[k] + {i}) % 5) {{")
    for c in range(5):
        out.append(f"        case {c}: acc += helper_{i}(in[k] + {c}) * {c + 1}; break;")
    out.append("        default: acc -= in[k];")
    out.append("        }")
    out.append("    }")
    out.append(f"    r->a = acc; r->b = (long)acc * {i + 1}; memset(r->name, acc & 0x7f, sizeof r->name);")
    out.append(f"    for (int j = 0; j < {i % 5 + 1}; j++) r->v[j] = acc / (j + 1.0);")
    out.append("    return acc;")
    out.append("}")
    out.append("")
out.append("int main(void) { return 0; }")
print("\n".join(out))
