"""The compiled per-block tally equals the same counts written as numpy expressions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alliancesim import api, load_scenario
from alliancesim.engine import GROUP, TrialResults
from alliancesim.results.groups import GroupCounts
from alliancesim.results.tally import GROUP_COLUMNS, TROOP_GROUP_SUMS, Tally, chunk_tally
from alliancesim.scenario.compile import compile_crisis


def _hist(values: np.ndarray) -> np.ndarray:
    v = values[np.isfinite(values)].astype(np.int64) if values.dtype.kind == "f" else values
    return np.bincount(v.astype(np.int64), minlength=1)


def numpy_tally(r: TrialResults, leader: int, group: int) -> dict[str, object]:
    """Tally.of's quantities, one numpy expression each (the form before 0.3's kernel)."""
    sent = r.troops > 0
    n_sending = sent.sum(axis=1)
    leader_alone = (r.fallback & sent[:, leader] & (n_sending == 1) if leader >= 0
                    else np.zeros(r.n, dtype=bool))
    g = np.arange(r.n) // group if group else np.zeros(0, dtype=np.int64)
    G = int(g[-1]) + 1 if group else 0
    groups = np.zeros((G, GROUP_COLUMNS), dtype=np.int64)
    if group:
        groups[:, 0] = np.bincount(g, minlength=G)
        for level in range(5):
            groups[:, 1 + level] = np.bincount(g, weights=r.rung == level, minlength=G)
        groups[:, 6] = np.bincount(g, weights=n_sending > 0, minlength=G)
        groups[:, 7] = np.bincount(g, weights=r.fallback, minlength=G)
        groups[:, 8] = np.bincount(g, weights=r.outcome == 0, minlength=G)
        groups[:, 9] = np.bincount(g, weights=r.outcome == 2, minlength=G)
    by_group = np.zeros((TROOP_GROUP_SUMS, r.troops.shape[1]))
    if group:
        n_g = groups[:, 0].astype(float)[:, None]
        S = np.stack([np.bincount(g, weights=r.troops[:, i], minlength=G)
                      for i in range(r.troops.shape[1])], axis=1)
        Q = np.stack([np.bincount(g, weights=r.troops[:, i] ** 2, minlength=G)
                      for i in range(r.troops.shape[1])], axis=1)
        by_group = np.stack([(S**2 / n_g).sum(0), (S**2).sum(0), (n_g * S).sum(0),
                             (Q / n_g).sum(0), (S**2 / n_g**2).sum(0)])
    return dict(
        n=r.n, request=np.bincount(r.request, minlength=4), rung=np.bincount(r.rung, minlength=5),
        preferred_military=(r.preferred == 4).sum(axis=0), holds_out=r.holds_out.sum(axis=0),
        sole_veto=r.sole_veto.sum(axis=0), sends=sent.sum(axis=0), troops=r.troops.sum(axis=0),
        fallback=int(r.fallback.sum()), leader_alone=int(leader_alone.sum()),
        other_member_alone=int((r.fallback & (n_sending == 1) & ~leader_alone).sum()),
        coalition=int((r.fallback & (n_sending >= 2)).sum()), any_troops=int((n_sending > 0).sum()),
        first_arrival=_hist(r.first_arrival), outcome=np.bincount(r.outcome, minlength=3),
        outcome_alone=np.bincount(r.outcome_alone, minlength=3), end_day=_hist(r.end_day),
        end_day_alone=_hist(r.end_day_alone), defender_losses=float(r.defender_losses.sum()),
        defender_losses_alone=float(r.defender_losses_alone.sum()),
        groups=GroupCounts.of_rows(groups),
        troops_sq=(r.troops**2).sum(axis=0), troops_groups=by_group)


@pytest.mark.parametrize("name, uncertainty", [("csto-2021-autumn", "posterior"),
                                               ("nato-2021-baltic", "fixed")])
def test_compiled_tally_equals_numpy_counts(name: str, uncertainty: str) -> None:
    sc = load_scenario(name)
    sc = sc.model_copy(update={"parameters": sc.parameters.model_copy(
        update={"uncertainty": uncertainty})})
    ens = api.simulate(sc, trials=2 * 4096 + 300, seed=3, keep_trials=True)
    for i, r in enumerate(ens.results):
        model = compile_crisis(sc, i)
        for a in range(0, r.n, 4096):
            block = r.slice(a, min(a + 4096, r.n))
            got = chunk_tally(model, block)
            want = numpy_tally(block, model.leader, GROUP if uncertainty == "posterior" else 0)
            for field, value in want.items():
                if field in ("troops", "defender_losses", "defender_losses_alone", "troops_sq",
                             "troops_groups"):
                    np.testing.assert_allclose(getattr(got, field), value, rtol=1e-12,
                                               err_msg=field)
                elif field == "groups":
                    assert isinstance(value, GroupCounts) and got.groups.equals(value)
                else:
                    np.testing.assert_array_equal(getattr(got, field), value, err_msg=field)
        assert Tally.total([chunk_tally(model, r)]).n == r.n


def test_a_chunks_tally_adds_its_blocks_one_by_one() -> None:
    """Issue 23: a chunk is tallied in one kernel call, its float sums kept per block, and the
    running total adds them block by block: bit for bit the tallies of the blocks added in
    order, whatever the chunk (a partial last block and group included); the running total
    keeps no per-block rows (bounded memory)."""
    from dataclasses import fields

    from alliancesim.engine import BLOCK
    from alliancesim.results.tally import RunningTotal

    sc = load_scenario("csto-2021-autumn")
    ens = api.simulate(sc, trials=5 * BLOCK + 300, seed=8, keep_trials=True)
    model = compile_crisis(sc, 0)
    r = ens.results[0]
    blocks = [chunk_tally(model, r.slice(a, min(a + BLOCK, r.n))) for a in range(0, r.n, BLOCK)]
    want = Tally.total(blocks)
    for cuts in ([0, 2, 6], [0, 1, 4, 6], [0, 6]):
        running = RunningTotal()
        for a, b in itertools.pairwise(cuts):
            running.add(chunk_tally(model, r.slice(a * BLOCK, min(b * BLOCK, r.n))))
        got = running.result()
        assert got.block_floats is None
        for f in fields(Tally):
            if f.name == "groups":
                assert got.groups.equals(want.groups)
            elif f.name != "block_floats":
                x, y = np.asarray(getattr(got, f.name)), np.asarray(getattr(want, f.name))
                assert np.array_equal(x, y), (cuts, f.name)
    # and they are the trials' sums (only the order of the additions is fixed by the blocks)
    assert np.isclose(want.defender_losses, float(r.defender_losses.sum()), rtol=1e-12)
