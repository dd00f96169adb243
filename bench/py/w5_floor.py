"""W5's native floor without the rechunking itself: reads and decodes every chunk of a.zarr/tas
and encodes and writes every chunk of a W5 result, with C zstd (numcodecs, level 1), one process
per core; no transposition, no process start, allocator warm (the second of two passes is timed).
What remains of 0.5x dask's W5 time after this is all any engine has for the rest.

Usage: w5_floor.py DATA_DIR W5_OUTPUT.zarr  (e.g. after `node dist/bench/engine.js W5 .bench-data/M out.zarr`)
Prints one JSON line: per-process seconds for read+decode and encode+write, and the slowest total.
"""
import json
import os
import shutil
import sys
import tempfile
import time
from multiprocessing import Pool

import numcodecs
import numpy as np

SOURCE = os.path.join(sys.argv[1], "a.zarr", "tas")
RESULT = os.path.join(sys.argv[2], "tas")
ZSTD = numcodecs.Zstd(level=1)


def names(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def work(args):
    reads, writes, scratch = args
    decoded = [ZSTD.decode(open(os.path.join(RESULT, n), "rb").read()) for n in writes]
    # decoded into one buffer, as an engine reuses its own (Zarr v2 chunks are all one size)
    into = np.empty(len(ZSTD.decode(open(os.path.join(SOURCE, reads[0]), "rb").read())), dtype=np.uint8)
    for _ in range(2):
        t0 = time.perf_counter()
        for n in reads:
            with open(os.path.join(SOURCE, n), "rb") as f:
                ZSTD.decode(f.read(), into)
        t1 = time.perf_counter()
        for n, d in zip(writes, decoded):
            with open(os.path.join(scratch, n), "wb") as f:
                f.write(ZSTD.encode(d))
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1


if __name__ == "__main__":
    scratch = tempfile.mkdtemp(prefix="w5-floor-")
    try:
        src, out = names(SOURCE), names(RESULT)
        k = os.cpu_count()
        with Pool(k) as pool:
            times = pool.map(work, [(src[i::k], out[i::k], scratch) for i in range(k)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"readDecode": [round(a, 2) for a, _ in times], "encodeWrite": [round(b, 2) for _, b in times], "slowest": round(max(a + b for a, b in times), 2)}))
