"""Time and peak memory of importing the largest published dataset files (docs/data.md).

    python benchmarks/imports.py [DATASETS_FOLDER] [--rounds 3]

Each import runs in a fresh process (so its peak resident memory is its own) into a fresh
data store: the ATOP 5.1 directed dyad-year file (273,296 rows), the MID 5.0 participants,
the UN ideal points, NMC 7.0, the minimum distances (875,215 rows, gzipped) and UCDP/PRIO.
Prints every round and the median seconds and peak MiB per file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = [
    ("atop-dyads", "peacesciencer_derived/atop_alliance.csv"),
    ("mid-participants", "cow_mid/MIDB_5.0.csv"),
    ("ideal-points", "unga_idealpoints/IdealpointsJuly2025.csv"),
    ("nmc", "peacesciencer_derived/cow_nmc.csv"),
    ("cow-mindist", "peacesciencer_derived/cow_mindist_1946.csv.gz"),
    ("ucdp-acd", "peacesciencer_derived/ucdp_acd.csv"),
]

ONE = """
import resource, sys, time
from alliancesim.datasets.store import DataStore
kind, path, store = sys.argv[1:4]
t = time.perf_counter()
row = DataStore(store).import_file(kind, path)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{dt:.3f} {peak:.0f} {row.rows}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[2]
                                                     / "shared" / "datasets"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    root = Path(args.folder)
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    for kind, rel in FILES:
        path = root / rel
        if not path.exists():
            print(f"{kind}: {path} not found, skipped")
            continue
        times, peaks = [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                out = subprocess.run([sys.executable, "-c", ONE, kind, str(path),
                                      str(Path(tmp) / "d.duckdb")], check=True,
                                     capture_output=True, text=True).stdout.split()
            times.append(float(out[0]))
            peaks.append(float(out[1]))
            rows = int(out[2])
        size = path.stat().st_size / 2**20
        print(f"{kind:17s} {size:6.1f} MiB {rows:>8,} rows: median {statistics.median(times):.2f}"
              f" s (rounds {', '.join(f'{t:.2f}' for t in times)}), peak "
              f"{statistics.median(peaks):.0f} MiB resident (process incl. Python and DuckDB)")


if __name__ == "__main__":
    main()
