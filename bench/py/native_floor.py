"""W8, the native floor: reads and decodes every chunk of a.zarr/tas once with C zstd (numcodecs),
in one process per core (processes, so the GIL cannot serialise anything). No compute.

Usage: native_floor.py DATA_DIR
"""
import json
import os
import sys
from multiprocessing import Pool

import numcodecs

STORE = os.path.join(sys.argv[1], "a.zarr", "tas")
ZSTD = numcodecs.Zstd()


def decode(names):
    total = 0
    for name in names:
        with open(os.path.join(STORE, name), "rb") as f:
            total += len(ZSTD.decode(f.read()))
    return total


if __name__ == "__main__":
    names = sorted(n for n in os.listdir(STORE) if not n.startswith("."))
    cores = os.cpu_count()
    with Pool(cores) as pool:
        decoded = sum(pool.map(decode, [names[i::cores] for i in range(cores)]))
    print(json.dumps({"chunks": len(names), "decodedBytes": decoded}))
