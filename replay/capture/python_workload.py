"""The workload of the bundled `python3` trace: imports that load extension modules (each an
mmap'd shared library), then allocations big and small enough to make pymalloc map and unmap
arenas and glibc's malloc map, unmap and trim memory."""
import ctypes  # noqa: F401
import decimal
import json
import sqlite3
import xml.etree.ElementTree as ET

data = [{"k": i, "v": str(i) * (i % 50)} for i in range(100000)]
text = json.dumps(data)
del data
again = json.loads(text)
del again, text

db = sqlite3.connect(":memory:")
db.execute("create table t(a, b)")
db.executemany("insert into t values (?, ?)", ((i, "x" * (i % 100)) for i in range(30000)))
print(db.execute("select count(*), sum(length(b)) from t").fetchone())
db.close()

root = ET.fromstring("<r>" + "".join(f"<e n='{i}'>{i}</e>" for i in range(20000)) + "</r>")
print(len(root), sum(decimal.Decimal(e.text) for e in root))
