"""Issue 21 (finish): Sobol's design and analysis stream; the output manifest keeps hashes.

Sobol: the design generated chunk by chunk is SALib's; the streamed point estimates are SALib's
sobol.analyze on it (to 1e-10); the Poisson bootstrap's intervals agree with SALib's resampling
within sampling noise; the numbers do not depend on the chunks; the memory does not grow with
the samples (tracemalloc here; the peak resident set of the whole command is
benchmarks/memory_compare.py's).

Morris streams the same way: its trajectories drawn chunk by chunk are SALib's, mu* and sigma
SALib's, mu*'s interval a Poisson bootstrap's.

The manifest (run.json) records each file's SHA-256 and a folder is replaced only while every
listed file still has it: an edit to the same size is someone else's, refused by name; an
earlier manifest with sizes alone is still read, by its sizes.
"""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_analyze
from SALib.sample import morris as salib_morris_sample
from SALib.sample import sobol as salib_sample

from alliancesim import api
from alliancesim.experiments import sensitivity as module
from alliancesim.experiments.sensitivity import (
    EPS,
    LocalBackend,
    SobolSums,
    bootstrap_weights,
    morris_indices,
    saltelli_rows,
    sobol_indices,
)
from alliancesim.scenario.errors import UsageError
from alliancesim.store.checks import check_out_dir
from alliancesim.store.files import write_folder

NAMES = ["x1", "x2", "x3"]
PROBLEM = {"num_vars": 3, "names": NAMES, "bounds": [[0.0, 1.0]] * 3}


def outcomes(U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
    """Ishigami's function on [0, 1]^3 (mapped to [-pi, pi]) and a 0/1 outcome as the
    engine's headlines are."""
    x = -np.pi + 2 * np.pi * U
    return {"ishigami": np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2
            + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0]),
            "event": U[:, 0] + 0.5 * U[:, 1] * U[:, 2] > 0.8}


def _salib(samples: int, seed: int, resamples: int = 100) -> dict[str, dict[str, np.ndarray]]:
    X = np.clip(salib_sample.sample(PROBLEM, samples, calc_second_order=False, seed=seed),
                EPS, 1 - EPS)
    return {h: salib_analyze.analyze(PROBLEM, np.asarray(y, dtype=float),
                                     calc_second_order=False, seed=seed,
                                     num_resamples=resamples)
            for h, y in outcomes(X, np.zeros(len(X), dtype=int)).items()}


def _ours(samples: int, seed: int, chunk: int | None = None, resamples: int = 100
          ) -> dict[str, dict[str, np.ndarray]]:
    found = sobol_indices(NAMES, outcomes, samples, seed, chunk=chunk, resamples=resamples)
    return {h: {k: np.array([getattr(i, k.lower()) for i in rows])
                for k in ("S1", "S1_conf", "ST", "ST_conf")} for h, rows in found.items()}


@pytest.mark.parametrize("chunk", [1, 7, 64, 256])
def test_the_design_chunk_by_chunk_is_salib_s(chunk: int) -> None:
    whole = salib_sample.sample(PROBLEM, 256, calc_second_order=False, seed=3)
    parts = np.vstack([saltelli_rows(3, 3, a, min(a + chunk, 256))
                       for a in range(0, 256, chunk)])
    assert np.array_equal(parts, whole)
    # a base sample's rows do not depend on the whole design's size
    assert np.array_equal(saltelli_rows(3, 3, 100, 120), whole[100 * 5 : 120 * 5])


def test_the_point_estimates_are_salib_s() -> None:
    salib, ours = _salib(256, 5), _ours(256, 5, chunk=37)
    for h in ("ishigami", "event"):
        np.testing.assert_allclose(ours[h]["S1"], salib[h]["S1"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours[h]["ST"], salib[h]["ST"], rtol=0, atol=1e-10)
    # and they are indices, not zeros: x2 drives Ishigami's first order, x3 only interacts
    assert ours["ishigami"]["S1"][1] > 0.3 and ours["ishigami"]["ST"][2] > 0.1


def test_the_intervals_agree_with_salib_s_bootstrap() -> None:
    # each interval is z times the sd of R resampled indices: its relative sampling error is
    # about 1 / sqrt(2 R), 3.5 % at R = 400, so two independent bootstraps agree within a
    # ratio of 0.8..1.25 (over 4 of those errors each way); an interval of the wrong scale
    # (a variance for an sd, a missing z, resamples of the wrong size) falls far outside
    salib, ours = _salib(512, 9, resamples=400), _ours(512, 9, resamples=400)
    for h in ("ishigami", "event"):
        for key in ("S1_conf", "ST_conf"):
            ratio = ours[h][key] / salib[h][key]
            assert np.all((ratio > 0.8) & (ratio < 1.25)), (h, key, ratio)


def test_the_numbers_do_not_depend_on_the_chunks() -> None:
    one, other = _ours(512, 2, chunk=512), _ours(512, 2, chunk=45)
    for h in one:  # 0/1 outcomes: every sum is a whole number, so the very same floats
        for key in one[h]:
            if h == "event":
                assert np.array_equal(one[h][key], other[h][key])
            else:  # real outcomes: the sums' rounding, nothing more
                np.testing.assert_allclose(one[h][key], other[h][key], rtol=1e-12)
    # the weights of a sample are its own, whatever the chunk it is drawn in
    whole = bootstrap_weights(4, 0, 3 * module.WEIGHT_BLOCK)
    assert np.array_equal(bootstrap_weights(4, 1000, 2500), whole[1000:2500])
    assert whole.shape == (3 * module.WEIGHT_BLOCK, module.RESAMPLES)
    assert abs(whole.mean() - 1) < 0.01 and abs(whole.var() - 1) < 0.02  # Poisson(1)


def test_a_scenario_gives_the_same_indices_for_any_chunk_size(
        monkeypatch: pytest.MonkeyPatch) -> None:
    runs = []
    for rows in (50, 1000):
        monkeypatch.setattr(module, "ROWS_PER_TASK", rows)
        runs.append(api.sensitivity("examples/armenia-uncertain-council.yaml", samples=128,
                                    seed=4))
    assert runs[0].crises == runs[1].crises
    assert any(i.s1_conf for i in runs[0].crises[0].indices)


def test_constant_outcomes_give_zero_indices() -> None:
    def constant(U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
        return {"never": np.zeros(len(U), dtype=bool),
                # varies in the AB rows only: [A; B] is constant, so SALib's indices are 0
                "ab only": np.tile([False, True, True, True, False], len(U) // 5)}

    found = sobol_indices(NAMES, constant, 64, 1)
    for h in ("never", "ab only"):
        assert all(i.s1 == i.st == i.s1_conf == i.st_conf == 0.0 for i in found[h])


def test_the_sums_of_chunks_add() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=20 * 5).astype(float)
    W = bootstrap_weights(1, 0, 20)
    whole = SobolSums.of(y, 3, W)
    parts = SobolSums.of(y[:35], 3, W[:7]) + SobolSums.of(y[35:], 3, W[7:])
    assert np.array_equal(whole.full, parts.full) and np.array_equal(whole.boot, parts.boot)
    assert np.array_equal(whole.rows, parts.rows)


def _traced_peak(samples: int) -> int:
    tracemalloc.start()
    try:
        sobol_indices(NAMES, outcomes, samples, 1, chunk=1024)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_memory_does_not_grow_with_samples() -> None:
    # before: the whole design (8 (d + 2) d bytes a sample), its outcomes, and SALib's
    # 100 resamples of every sample (about 7 KB a sample): 56 MB more at 2^13 than at 2^10
    _traced_peak(1024)  # warm
    small, large = _traced_peak(2**10), _traced_peak(2**13)
    assert large - small < 200_000, (small, large)


# --- Morris ---------------------------------------------------------------------------------

def _morris(samples: int, seed: int, chunk: int | None = None, resamples: int = 100,
            workers: int = 1) -> dict[str, dict[str, np.ndarray]]:
    backend = LocalBackend()
    backend.workers = workers  # chunks in flight: 2 per worker
    found = morris_indices(NAMES, outcomes, samples, seed, backend, chunk=chunk,
                           resamples=resamples)
    return {h: {k: np.array([getattr(i, k) for i in rows])
                for k in ("mu_star", "mu_star_conf", "sigma")} for h, rows in found.items()}


def _salib_morris(samples: int, seed: int, resamples: int = 100
                  ) -> dict[str, dict[str, np.ndarray]]:
    X = salib_morris_sample.sample(PROBLEM, samples, num_levels=4, seed=seed)
    U = np.clip(X, EPS, 1 - EPS)
    return {h: salib_morris.analyze(PROBLEM, X, np.asarray(y, dtype=float), num_levels=4,
                                    seed=seed, num_resamples=resamples)
            for h, y in outcomes(U, np.zeros(len(X), dtype=int)).items()}


def test_morris_streamed_is_salib_s() -> None:
    salib, ours = _salib_morris(300, 6, resamples=400), _morris(300, 6, chunk=41,
                                                               resamples=400)
    for h in ("ishigami", "event"):
        np.testing.assert_allclose(ours[h]["mu_star"], salib[h]["mu_star"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours[h]["sigma"], salib[h]["sigma"], rtol=0, atol=1e-10)
        # the interval: two bootstraps of 400 resamples, within their sampling error
        # (see test_the_intervals_agree_with_salib_s_bootstrap); 0 exactly where every
        # effect has the same size (Ishigami's x2 on a 4-level grid), to rounding
        a, b = ours[h]["mu_star_conf"], salib[h]["mu_star_conf"]
        assert np.array_equal(a < 1e-12, b < 1e-12), (h, a, b)
        assert np.all((a[b > 0] / b[b > 0] > 0.8) & (a[b > 0] / b[b > 0] < 1.25)), (h, a, b)
    assert ours["ishigami"]["mu_star"][0] > ours["ishigami"]["mu_star"][2] > 0


def test_morris_does_not_depend_on_chunks_or_workers() -> None:
    one = _morris(200, 3, chunk=200)
    for other in (_morris(200, 3, chunk=13), _morris(200, 3, chunk=13, workers=3)):
        for key in one["event"]:  # 0/1 outcomes: exact sums
            assert np.array_equal(one["event"][key], other["event"][key])
            np.testing.assert_allclose(one["ishigami"][key], other["ishigami"][key],
                                       rtol=1e-12, atol=1e-12)


def test_morris_memory_does_not_grow_with_samples() -> None:
    def peak(samples: int) -> int:
        tracemalloc.start()
        try:
            morris_indices(NAMES, outcomes, samples, 1, chunk=64)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(64)  # warm
    small, large = peak(2**7), peak(2**10)
    # before: the design (96 bytes a trajectory), outcomes, effects and SALib's 100
    # resamples of each input's effects (2 x 800 bytes a trajectory): over 1.5 MB more
    assert large - small < 200_000, (small, large)


# --- the output manifest: SHA-256 per listed file ---------------------------------------------

def _write(out: Path, text: str = "{}") -> list[Path]:
    return write_folder(out, {"summary.json": lambda p: p.write_text(text),
                              "figure.png": lambda p: p.write_bytes(b"png")}, kind="test")


def test_the_manifest_lists_each_file_s_sha256(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, '{"a": 1}')
    files = json.loads((out / "run.json").read_text())["files"]
    assert files["summary.json"] == {
        "bytes": 8, "sha256": hashlib.sha256(b'{"a": 1}').hexdigest()}
    assert files["figure.png"]["sha256"] == hashlib.sha256(b"png").hexdigest()


def test_a_same_size_edit_is_someone_else_s_and_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, '{"a": 1}')
    check_out_dir(out)  # as written: ours, replaced
    _write(out, '{"a": 2}')
    (out / "summary.json").write_text('{"b": 1}')  # the same 8 bytes, another content
    with pytest.raises(UsageError, match=r"holds 1 file .*\(changed since alliancesim wrote "
                       r"them\) and would be lost: summary\.json \(changed\); move it"):
        _write(out, '{"a": 3}')
    assert (out / "summary.json").read_text() == '{"b": 1}'  # kept as the user left it
    # and a refusal is by content: the very bytes written again (a new inode, new times) pass
    (out / "summary.json").write_text('{"a": 2}')
    check_out_dir(out)


def test_a_manifest_without_hashes_is_still_read_by_its_sizes(tmp_path: Path) -> None:
    """Outputs written before the hashes were compared (0.3: sizes alone) stay ours: their
    files are compared by size, all such a manifest can tell."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / "run.json").write_text(json.dumps({"kind": "test", "alliancesim": "0.3.0",
                                              "files": {"a.txt": {"bytes": 3}}}))
    (out / "a.txt").write_text("new")  # the same size: cannot be seen without a hash
    check_out_dir(out)
    (out / "a.txt").write_text("newer")
    with pytest.raises(UsageError, match=r"a\.txt \(changed\)"):
        check_out_dir(out)
    (out / "a.txt").write_text("old")
    _write(out)
    assert sorted(p.name for p in out.iterdir()) == ["figure.png", "run.json", "summary.json"]
