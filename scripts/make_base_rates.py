"""Write src/alliancesim/data/base_rates.yaml: the benchmark beside every forecast of
`alliancesim run` (experiments/benchmark.py), from the bundled cases.

Run it whenever a bundled case, its coding or the request stage's fit changes
(tests/test_benchmark.py fails until it is run):

    .venv/bin/python scripts/make_base_rates.py
"""

from __future__ import annotations

from alliancesim.data import bundled
from alliancesim.experiments.benchmark import write

if __name__ == "__main__":
    write(bundled.BASE_RATES)
    print(f"wrote {bundled.BASE_RATES}")
