"""The bounds on a run's size that the command line states in its --help: kept apart from the
schema (pydantic, numpy) so that `alliancesim --help` loads nothing heavy. Standard library
only."""

from __future__ import annotations

MAX_TRIALS = 1_000_000_000
MAX_SEED = 2**63 - 1  # the results store keeps seeds as BIGINT (signed 64-bit)
# The largest chunk (trials per task) one may ask for: the peak memory follows the chunk (a
# run of the default scenario peaks at 0.22 GB with the default 131,072 and 0.43 GB with 10^6,
# measured; a thirty-member alliance needs five times as much per trial; 2 x 10^7 ran out of
# memory). Larger chunks are no faster.
MAX_CHUNK = 1_000_000
