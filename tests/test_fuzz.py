"""A few hundred generated malformed scenario, case and parameter files (tests/fuzzing.py):
every one runs with finite probabilities or is refused with one-line messages, in time.
`make fuzz` runs 10,000."""

from __future__ import annotations

from fuzzing import fuzz


def test_generated_malformed_files_run_or_are_refused() -> None:
    failures: list[str] = []
    counts = fuzz(300, seed=2022, report=failures.append)
    print(dict(counts))
    assert not failures, failures
    assert counts["ok"] > 10 and counts["rejected"] > 100  # both outcomes are exercised
