"""Issue 21, memory: compare and sensitivity stream their trials and design rows in chunks.

The numbers are those of the code before the change (pinned in
fixtures/issue21_stream_reference.json, computed on main at 407a8ec), and the memory a run
holds does not grow with its trials (compare) or design rows (sensitivity's evaluation),
measured with tracemalloc (numpy reports its buffers to it). The peak resident figures at
larger sizes are benchmarks/memory_compare.py's, not a test.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alliancesim import api
from alliancesim.experiments import sensitivity as sensitivity_module
from alliancesim.experiments.compare import compare
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.distributions import is_uncertain
from alliancesim.scenario.variants import load_variants

REFERENCE = json.loads((Path(__file__).parent / "fixtures" /
                        "issue21_stream_reference.json").read_text())
# the Armenia example as it was when REFERENCE was computed (its council's distributions have
# since been brought to the current calibration by scripts/doc_numbers.py)
ARMENIA = Path(__file__).parent / "fixtures" / "issue21_armenia_example_407a8ec.yaml"


# what issue 22 added to a comparison (the parts of each figure's uncertainty); the reference
# is of a run with the parameters fixed, where they are empty
ADDED = {"parameter_uncertainty", "value_se", "value_band", "parameter_band", "parameter_sd"}


def _without_version(report: Any) -> dict[str, Any]:
    d: dict[str, Any] = report.model_dump(mode="json")
    d.pop("version")
    if "parameter_uncertainty" not in d:  # not a comparison
        return d
    assert set(d["parameter_uncertainty"].values()) == {"off"}
    d = {k: v for k, v in d.items() if k not in ADDED}
    d["crises"] = [{k: v for k, v in c.items() if k not in ADDED} | {
        "differences": [{k: v for k, v in x.items() if k not in ADDED}
                        for x in c["differences"]]} for c in d["crises"]]
    return d


@pytest.mark.parametrize("chunk_size", [None, 4096, 3 * 4096])
def test_compare_gives_the_numbers_it_gave_before(chunk_size: int | None) -> None:
    variants = load_variants("examples/csto-variants.yaml")
    told: list[str] = []
    new = _without_version(compare(variants, 6000, 7, chunk_size=chunk_size,
                                   progress=told.append))
    old = REFERENCE["compare"]
    # the status line names each crisis as it begins (all variants run side by side)
    assert told == [f"{c['crisis_id']} under 4 variants" for c in old["crises"]]
    assert {k: v for k, v in new.items() if k != "crises"} == {
        k: v for k, v in old.items() if k not in ("crises", "_source")}
    assert len(new["crises"]) == len(old["crises"]) == 4
    for c_new, c_old in zip(new["crises"], old["crises"], strict=True):
        # the probabilities and differences are counts over n: the very same floats
        assert {k: v for k, v in c_new.items() if k != "differences"} == {
            k: v for k, v in c_old.items() if k != "differences"}
        assert len(c_new["differences"]) == len(c_old["differences"]) > 0
        for d_new, d_old in zip(c_new["differences"], c_old["differences"], strict=True):
            assert {k: v for k, v in d_new.items() if k != "se_paired"} == {
                k: v for k, v in d_old.items() if k != "se_paired"}
            # sd(d) from the counts, rounded once, against numpy's pairwise sum over the
            # trials: the same to the last bit or one unit in it
            assert d_new["se_paired"] == pytest.approx(d_old["se_paired"], rel=1e-14, abs=0)


@pytest.mark.parametrize(("method", "samples"), [("sobol", 64), ("morris", 16), ("fast", 65)])
@pytest.mark.parametrize("rows", [None, 50])
def test_sensitivity_gives_the_numbers_it_gave_before(
        method: str, samples: int, rows: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if rows is not None:  # several chunks of the design, each drawing its own noise
        monkeypatch.setattr(sensitivity_module, "ROWS_PER_TASK", rows)
    new = _without_version(api.sensitivity(ARMENIA,
                                           method=method, samples=samples, seed=11))
    old = REFERENCE[f"sensitivity_{method}"]
    if method == "fast":
        assert new == old
        return
    # Sobol and Morris stream (tests/test_issue21_sobol.py): the same indices as SALib's
    # analysis, to the rounding of their sums; the intervals are a Poisson bootstrap's, not
    # SALib's resamples
    assert {k: v for k, v in new.items() if k != "crises"} == {
        k: v for k, v in old.items() if k not in ("crises", "_source")}
    (c_new,), (c_old,) = new["crises"], old["crises"]
    assert {k: v for k, v in c_new.items() if k != "indices"} == {
        k: v for k, v in c_old.items() if k != "indices"}
    for i_new, i_old in zip(c_new["indices"], c_old["indices"], strict=True):
        assert (i_new["outcome"], i_new["input"]) == (i_old["outcome"], i_old["input"])
        values = ("s1", "st") if method == "sobol" else ("mu_star", "sigma")
        for v in values:
            assert i_new[v] == pytest.approx(i_old[v], abs=1e-10)
        confs = ("s1_conf", "st_conf") if method == "sobol" else ("mu_star_conf",)
        for conf in confs:  # 0 exactly where SALib's is; else close
            assert (i_new[conf] == 0) == (i_old[conf] == 0)
            assert i_new[conf] == pytest.approx(i_old[conf], rel=0.5)


def _traced_peak(f: Any) -> int:
    """Bytes allocated at the peak of f() above what was held before it."""
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_compare_memory_does_not_grow_with_trials() -> None:
    # before: one boolean per trial, headline, crisis and variant until the end (and their
    # concatenation): 6 x 4 x 2 x 40,960 bytes = 2 MB more at ten times the trials
    variants = load_variants("examples/csto-variants.yaml")[:2]
    compare(variants, 4096, 1, chunk_size=4096)  # compiled and warm
    small = _traced_peak(lambda: compare(variants, 4096, 1, chunk_size=4096))
    large = _traced_peak(lambda: compare(variants, 40960, 1, chunk_size=4096))
    assert large - small < 400_000, (small, large)


def test_sensitivity_evaluation_does_not_grow_beyond_its_outcomes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # before: the noise of every trial the design uses drawn at once, then taken per row
    # (members x several arrays per row), beside the rows' float outcomes
    monkeypatch.setattr(sensitivity_module, "ROWS_PER_TASK", 512)
    sc = api.load_scenario("examples/armenia-uncertain-council.yaml")
    model = compile_crisis(sc, 0)
    uncertain = [q for q in model.quantities if is_uncertain(q.value)]
    f = sensitivity_module._crisis_function(model, uncertain, 3,
                                            sensitivity_module.LocalBackend())
    rng = np.random.default_rng(0)

    def peak(n: int) -> int:
        U = rng.uniform(0.01, 0.99, size=(n, len(uncertain)))
        noise = sensitivity_module.noise_rows("sobol", n, len(uncertain))
        return _traced_peak(lambda: f(U, noise))

    peak(512)  # compiled and warm
    small, large = peak(1024), peak(16384)
    # what must be kept grows: the outcomes, one boolean per row and outcome (5 x 15,360);
    # floats would be 8 times as much
    assert large - small < 5 * (16384 - 1024) + 100_000, (small, large)


def test_sobol_samples_are_bounded_by_the_general_bound_alone() -> None:
    # before: --samples 524288 ran the whole design, then MemoryError ("internal error"); then
    # a cap of 262,144 for Sobol; now its analysis streams (tests/test_issue21_sobol.py) and
    # only the general bound, one of time, remains: refused before any work
    from alliancesim.experiments import sensitivity as module
    from alliancesim.scenario.errors import UsageError

    assert not hasattr(module, "MAX_SOBOL_SAMPLES")
    with pytest.raises(UsageError, match=r"between 8 and 1,000,000"):
        api.sensitivity(ARMENIA, samples=2**20)
