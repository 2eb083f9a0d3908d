"""Issue 23, items 1 and 4: the engine's pass reads the posterior's parameter draws once per
group of GROUP trials (not one row per trial), hoists what the council's trials share, decides
the rule without early exits, sums the force equilibrium over the members with a cap (the
members' common term once per Newton step), and builds the engagement's schedule without a call
per arrival; its outputs are the pass's before these changes, bit for bit.

The oracle is the pass as it was (tests/frozen_pass.py: copied verbatim from commit 177b52d),
run on the same drawn inputs; the stage functions are compared with their frozen copies on
random inputs, edge cases included."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alliancesim import load_scenario
from alliancesim.data import bundled
from alliancesim.engine import (
    BLOCK,
    GROUP,
    TrialInputs,
    draw_block,
    draw_trials,
    layout,
    parameter_draws,
    parameter_groups,
    run_pipeline,
)
from alliancesim.model.council.probit import (
    given_lanes,
    trial_constants,
    trial_given,
    trial_preferences,
)
from alliancesim.model.council.rules import decide_lanes, trial_decide
from alliancesim.model.engagement import (
    LANES,
    engage_lanes,
    lay_schedule,
    trial_arrivals,
    trial_engage,
    trial_schedule,
)
from alliancesim.model.forces import (
    EQUILIBRIUM_ITERATIONS,
    EQUILIBRIUM_LANES,
    equilibrium_lanes,
    trial_equilibrium,
)
from alliancesim.scenario.compile import CompiledCrisis, compile_crisis
from alliancesim.scenario.params import with_uncertainty
from frozen_pass import run_before
from frozen_pass import trial_decide as decide_before
from frozen_pass import trial_equilibrium as equilibrium_before
from frozen_pass import trial_preferences as preferences_before
from frozen_pass import trial_schedule as schedule_before


def _model(name: str, uncertainty: str, crisis: int = 0) -> CompiledCrisis:
    return compile_crisis(with_uncertainty(load_scenario(name), uncertainty), crisis)


def _assert_identical(a, b) -> None:  # type: ignore[no-untyped-def]
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (
            f"{f.name}: {int(np.sum(x != y))} trials differ")


# The force equilibrium's Newton steps start elsewhere since issue 23's later change
# (forces._newton_start) and compute a member's share with one division: the root is found to
# the same tolerance (|g| <= 1e-11 (1 + C), the bracket to 1e-12), so the troops, and the
# engagement's losses that follow from them, may differ from the frozen pass in the last bits
# (RTOL); every count, rung, outcome and day is the same.
RTOL = 1e-9


def _assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    """Bit for bit, but the floats to RTOL (see above)."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=1e-9, equal_nan=True,
                                       err_msg=f.name)
        else:
            assert np.array_equal(x, y), f"{f.name}: {int(np.sum(x != y))} trials differ"


@pytest.mark.parametrize("name", bundled.scenario_names())
@pytest.mark.parametrize("uncertainty", ["posterior", "off"])
def test_pass_equals_the_pass_before(name: str, uncertainty: str) -> None:
    """Every crisis of every bundled scenario, with and without parameter draws, as run_chunk
    draws them (fixed quantities as scalars) and with every quantity laid out per trial (the
    council's constants then recomputed each trial): the same numbers as the frozen pass (the
    floats to RTOL). A chunk that starts at block 1 and ends inside a group."""
    sc = with_uncertainty(load_scenario(name), uncertainty)
    for i in range(len(sc.crises)):
        model = compile_crisis(sc, i)
        for fixed in (False, True):
            inputs = draw_trials(model, seed=23, start_block=1, stop_block=2,
                                 trials=BLOCK + 5 * GROUP + 17, fixed=fixed)
            _assert_same(run_pipeline(model, inputs), run_before(model, inputs))


def test_parameters_are_read_once_per_group() -> None:
    """Under parameter uncertainty the layout holds the posterior's draws as one row per
    quantity with one value per group (P, ceil(T / GROUP)), none of them per trial; group g's
    values are those of trials [g GROUP, (g + 1) GROUP): the same results as with every draw
    laid out per trial, and different when the groups' values are given in another order."""
    model = _model("csto-2021-autumn", "posterior")
    inputs = draw_trials(model, seed=5, start_block=0, stop_block=1, trials=9 * GROUP + 40,
                         fixed=False)
    lay = layout(model, inputs)
    assert lay.drawn.shape[0] == len(model.uncertain)  # only the scenario's own distributions
    assert model.posterior is not None
    assert set(inputs.groups) == set(model.posterior.centre)
    assert lay.grouped.shape == (len(model.posterior.centre), 10)
    assert not set(lay.drawn_at.tolist()) & set(lay.grouped_at.tolist())
    grouped = run_pipeline(model, inputs)
    _assert_identical(grouped, run_pipeline(model, inputs.per_trial()))
    # the groups' values reversed: the trials of group g now take group 9 - g's parameters
    flipped = dataclasses.replace(inputs, groups={k: v[::-1].copy()
                                                  for k, v in inputs.groups.items()})
    moved = run_pipeline(model, flipped)
    assert not np.array_equal(moved.preferred, grouped.preferred)
    per_trial = flipped.per_trial()
    _assert_identical(moved, run_pipeline(model, per_trial))
    g = np.arange(inputs.n) // GROUP
    name = "council.cutpoints.1"
    np.testing.assert_array_equal(per_trial.values[name], inputs.groups[name][::-1][g])


def test_group_values_follow_slices_concatenation_and_takes() -> None:
    """TrialInputs keeps per-group values per group where a slice starts a group and parts
    end on whole groups, and lays them out per trial otherwise (take, a slice inside a group,
    a part ending inside a group): every way gives the same per-trial values."""
    model = _model("nato-2021-baltic", "posterior")
    block = draw_block(model, seed=3, block=0)
    full = block.per_trial()
    assert block.groups and not full.groups
    name = "council.leader_weight"
    assert name not in block.values
    aligned = block.slice(2 * GROUP, 5 * GROUP + 3)
    assert aligned.groups[name].shape == (4,)
    np.testing.assert_array_equal(aligned.per_trial().values[name],
                                  full.values[name][2 * GROUP:5 * GROUP + 3])
    inside = block.slice(GROUP + 1, 3 * GROUP)
    assert not inside.groups
    np.testing.assert_array_equal(inside.values[name], full.values[name][GROUP + 1:3 * GROUP])
    rows = np.array([5, 4000, 129, 0])
    np.testing.assert_array_equal(block.take(rows).values[name], full.values[name][rows])
    parts = [block.slice(0, 2 * GROUP), block.slice(2 * GROUP, 3 * GROUP + 7)]
    joined = TrialInputs.concat(parts)
    assert joined.groups[name].shape == (4,)
    np.testing.assert_array_equal(joined.per_trial().values[name],
                                  full.values[name][:3 * GROUP + 7])
    ragged = TrialInputs.concat([block.slice(0, GROUP + 1), block.slice(0, GROUP)])
    assert not ragged.groups
    np.testing.assert_array_equal(
        ragged.values[name], np.concatenate([full.values[name][:GROUP + 1],
                                             full.values[name][:GROUP]]))
    rng = np.random.default_rng(1)
    per_group = parameter_groups(model, rng, 3 * GROUP + 1)
    again = parameter_draws(model, np.random.default_rng(1), 3 * GROUP + 1)
    for k, v in per_group.items():
        assert v.shape == (4,)
        np.testing.assert_array_equal(np.repeat(v, GROUP)[:3 * GROUP + 1], again[k])


def test_schedule_equals_the_schedule_before() -> None:
    """engagement.trial_schedule (two loops, no call per arrival) equals its frozen copy on
    random contingents: day-0 troops, later ones, none, days past the horizon, not a number."""
    rng = np.random.default_rng(7)
    horizon = 30
    new, old = np.empty(horizon + 1), np.empty(horizon + 1)
    for _ in range(2000):
        M = int(rng.integers(1, 9))
        day0 = rng.exponential(300.0, M) * (rng.random(M) < 0.4)
        later = rng.exponential(500.0, M) * (rng.random(M) < 0.7)
        arrival = np.ceil(rng.uniform(-2.0, horizon + 5.0, M))
        arrival[rng.random(M) < 0.05] = np.nan
        quality = rng.uniform(0.5, 1.5, M)
        victim = int(rng.integers(0, M))
        a = trial_schedule(day0, later, arrival, quality, victim, horizon, new)
        b = schedule_before(day0, later, arrival, quality, victim, horizon, old)
        assert a == b
        np.testing.assert_array_equal(new, old)


def test_lay_schedule_adds_as_trial_schedule() -> None:
    """The arrivals of many trials appended (trial_arrivals) and laid out in engage_lanes'
    blocks (lay_schedule) equal each trial's own schedule (trial_schedule) bit for bit; cleared,
    the blocks are all zero again, ready for the next buffer."""
    rng = np.random.default_rng(8)
    horizon, M, n = 30, 5, 2 * LANES + 37
    sched = np.zeros((3, horizon + 1, LANES))
    days, amounts, lanes = (np.empty(2 * M * n, dtype=np.int64), np.empty(2 * M * n),
                            np.empty(2 * M * n, dtype=np.int64))
    for _ in range(2):
        k, own = 0, np.empty((n, horizon + 1))
        for i in range(n):
            day0 = rng.exponential(300.0, M) * (rng.random(M) < 0.4)
            later = rng.exponential(500.0, M) * (rng.random(M) < 0.7)
            arrival = np.ceil(rng.uniform(-2.0, horizon + 5.0, M))
            arrival[rng.random(M) < 0.05] = np.nan
            quality = rng.uniform(0.5, 1.5, M)
            k2 = trial_arrivals(day0, later, arrival, quality, 1, horizon, days, amounts, k)
            lanes[k:k2] = i
            assert trial_schedule(day0, later, arrival, quality, 1, horizon, own[i]) == (k2 > k)
            k = k2
        lay_schedule(sched, days, amounts, lanes, k, False)
        assert sched.any()
        for i in range(n):
            np.testing.assert_array_equal(sched[i // LANES, :, i % LANES], own[i])
        lay_schedule(sched, days, amounts, lanes, k, True)
        assert not sched.any()


@pytest.mark.parametrize("irregular", [True, False])
@pytest.mark.parametrize("arrivals", [True, False])
def test_lanes_equal_trial_engage(irregular: bool, arrivals: bool) -> None:
    """engage_lanes (LANES chains in lockstep, vectorised) gives every trial's outcome, day and
    losses of trial_engage bit for bit: a wide spread of forces, rates and break points, both
    laws, with and without arrivals, lanes decided on day 1, never (contained), at once by both
    break points, an aggressor or a defender of zero; several blocks and a partial one; the
    results scattered to the rows `at` names."""
    rng = np.random.default_rng(11 + 2 * irregular + arrivals)
    n, horizon = 3 * LANES + 101, 45
    A0 = rng.lognormal(8.0, 1.5, n)
    D0 = rng.lognormal(8.0, 1.5, n)
    A0[::97], D0[::89] = 0.0, 0.0
    qA, qD = rng.uniform(0.3, 2.0, n), rng.uniform(0.3, 2.0, n)
    k = rng.lognormal(-4.5, 1.0, n)
    brk, ratio = rng.uniform(0.0, 0.6, n), rng.uniform(0.0, 0.6, n)
    ratio[::53] = 0.0  # never lost
    brk[::61] = 1.0  # repelled only when the aggressor is gone
    eff = rng.uniform(0.02, 0.5, n)
    blocks = -(-n // LANES)
    sched = np.zeros((blocks, horizon + 1 if arrivals else 0, LANES))
    own = np.zeros((n, horizon + 1))
    if arrivals:
        for i in range(n):
            for _ in range(int(rng.integers(0, 4))):
                day, amount = int(rng.integers(0, horizon + 1)), float(rng.exponential(3000.0))
                own[i, day] += amount
            sched[i // LANES, :, i % LANES] = own[i]
    at = rng.permutation(n + 7)[:n]
    outs = (np.full(n + 7, 9, np.int8), np.zeros(n + 7, np.int16), np.zeros(n + 7),
            np.zeros(n + 7))
    engage_lanes(A0, D0, qA, qD, k, brk, ratio, eff, sched, horizon, irregular, at, *outs)
    for i in range(n):
        want = trial_engage(A0[i], D0[i], qA[i], qD[i], k[i], brk[i], ratio[i], eff[i],
                            horizon, irregular, own[i])
        got = tuple(o[at[i]] for o in outs)
        assert got[0] == want[0] and got[1] == want[1], (i, got, want)
        assert got[2] == want[2] and got[3] == want[3], (i, got, want)  # bit for bit
    assert len(set(outs[0][at].tolist())) == 3  # every outcome occurs


def test_pass_equals_the_pass_before_over_many_buffers() -> None:
    """A chunk of several blocks, so that the pass's engagement buffers fill and are stepped
    several times (ENGAGE_BUFFER trials without the alliance, fewer with it), on the flagship
    and the widest alliance: the frozen pass's numbers (the floats to RTOL)."""
    for name in ("csto-2021-autumn", "nato-2021-baltic"):
        model = _model(name, "posterior")
        inputs = draw_trials(model, seed=5, start_block=0, stop_block=3,
                             trials=2 * BLOCK + 999, fixed=False)
        _assert_same(run_pipeline(model, inputs), run_before(model, inputs))


def test_council_preferences_equal_the_preferences_before() -> None:
    """probit.trial_preferences (trial_constants, then trial_given) equals its frozen copy on
    random members, coefficients, unsorted cut-points, both noises, the trial's own feature in
    any column (or none)."""
    rng = np.random.default_rng(11)
    for _ in range(1500):
        M, K = int(rng.integers(1, 12)), int(rng.integers(1, 9))
        rows = rng.normal(size=(M, K))
        is_row = rng.random(K) < 0.8
        cols = rng.normal(size=K)
        beta = rng.normal(size=K)
        tau = rng.normal(size=4) * 2.0
        rho, common = float(rng.uniform(0, 0.95)), bool(rng.random() < 0.5)
        e, z, delta = rng.normal(size=M), float(rng.normal()), float(rng.exponential())
        intercept = float(rng.normal())
        p1, u1 = np.empty(M, np.int8), np.empty(M, np.bool_)
        p0, u0 = np.empty(M, np.int8), np.empty(M, np.bool_)
        trial_preferences(rows, is_row, cols, beta, intercept, tau, rho, common, e, z, delta,
                          p1, u1, np.empty(4), np.empty(M), np.empty((M, K)))
        preferences_before(rows, is_row, cols, beta, intercept, tau, rho, common, e, z, delta,
                           p0, u0, np.empty(4))
        np.testing.assert_array_equal(p1, p0)
        np.testing.assert_array_equal(u1, u0)


def test_council_lanes_equal_the_trial_by_trial_council() -> None:
    """probit.given_lanes and rules.decide_lanes (a group's trials side by side) equal
    trial_given and trial_decide trial by trial, bit for bit: random members, coefficients,
    cut-points, both noises, the trial's own features in any columns (or none), rules (needs
    per rung), caps, leaders (or none), victims and leader's draws and weights per trial; the
    lanes read the chunk's noise from an offset t0."""
    rng = np.random.default_rng(31)
    for _ in range(300):
        M, K, n, t0 = (int(rng.integers(1, 12)), int(rng.integers(1, 9)),
                       int(rng.integers(1, 130)), int(rng.integers(0, 50)))
        rows = rng.normal(size=(M, K))
        is_row = rng.random(K) < 0.7
        beta, tau = rng.normal(size=K), rng.normal(size=4) * 2.0
        rho, common = float(rng.uniform(0, 0.95)), bool(rng.random() < 0.5)
        srt, head, terms = np.empty(4), np.empty(M), np.empty((M, K))
        a, b, bar, first = trial_constants(rows, is_row, beta, float(rng.normal()), tau, rho,
                                           common, float(rng.exponential()), srt, head, terms)
        cols = rng.normal(size=(K, n))
        e, z = rng.normal(size=(t0 + n, M)), rng.normal(size=t0 + n)
        pref, uni = np.empty((M, n), np.int8), np.empty((M, n), np.bool_)
        given_lanes(head, terms, is_row, first, beta, cols, a, b, bar, srt, common, e, z, t0,
                    n, pref, uni, np.empty(n))
        c = rng.choice([2, 3, 4], n).astype(np.int64)
        code = int(rng.integers(0, 2))
        need = np.concatenate([[0], np.sort(rng.integers(0, M + 2, 4))]).astype(np.int64)
        leader, victim = int(rng.integers(-1, M)), int(rng.integers(0, M))
        draw, weight = rng.random(t0 + n), rng.random(n)
        rung, holds, sole = (np.empty(n, np.int64), np.empty((M, n), np.bool_),
                             np.empty((M, n), np.bool_))
        decide_lanes(pref, c, code, need, leader, victim, draw, t0, weight, n, rung, holds,
                     sole, np.zeros((5, n), np.int64), np.empty(n, np.int64))
        p1, u1 = np.empty(M, np.int8), np.empty(M, np.bool_)
        h1, s1 = np.empty(M, np.bool_), np.empty(M, np.bool_)
        for j in range(n):
            trial_given(head, terms, is_row, first, beta, np.ascontiguousarray(cols[:, j]), a,
                        b, bar, srt, common, np.ascontiguousarray(e[t0 + j]), z[t0 + j], p1,
                        u1)
            np.testing.assert_array_equal(pref[:, j], p1)
            np.testing.assert_array_equal(uni[:, j], u1)
            L = trial_decide(p1, int(c[j]), code, need, leader, victim, draw[t0 + j],
                             weight[j], h1, s1, np.zeros(5, np.int64))
            assert rung[j] == L
            np.testing.assert_array_equal(holds[:, j], h1)
            np.testing.assert_array_equal(sole[:, j], s1)


def test_equilibrium_equals_the_equilibrium_before() -> None:
    """forces.trial_equilibrium (summing over the members with a cap, started at the dominant
    member's root) equals its frozen copy (every member, from the bracket's midpoint) to RTOL
    on random games with members at cap 0, no private benefit, members on their steps; and it
    takes fewer Newton steps (the starting point is where the time went)."""
    rng = np.random.default_rng(13)
    for _ in range(3000):
        M = int(rng.integers(1, 10))
        V = rng.exponential(1.0, M) * (rng.random(M) < 0.9)
        cap = rng.exponential(2000.0, M) * (rng.random(M) < 0.6)
        S = float(rng.uniform(100.0, 20000.0))
        pi = float(rng.choice([0.0, rng.exponential(2.0)]))
        s0 = float(rng.uniform(10.0, 300.0))
        new, old = np.empty(M), np.empty(M)
        trial_equilibrium(V, S, pi, s0, cap, EQUILIBRIUM_ITERATIONS, new,
                          np.empty(M, np.int64))
        equilibrium_before(V, S, pi, s0, cap, EQUILIBRIUM_ITERATIONS, old)
        np.testing.assert_allclose(new, old, rtol=RTOL, atol=RTOL * (1.0 + old.sum()))
    # no private benefit, the start on the step of the top member's best reply (C* = S (V - 1)
    # exactly): the shares at the bracket's end must use the steps' own formula, or that
    # member would be given its whole cap (a bug the random games above found)
    V = np.array([0.0, 1.13699781, 0.52879227])
    cap = np.array([2255.87623217, 1860.6305361, 4305.40105224])
    S, s0 = 12320.43998717378, 256.76916470073866
    new, old = np.empty(3), np.empty(3)
    trial_equilibrium(V, S, 0.0, s0, cap, EQUILIBRIUM_ITERATIONS, new, np.empty(3, np.int64))
    equilibrium_before(V, S, 0.0, s0, cap, EQUILIBRIUM_ITERATIONS, old)
    np.testing.assert_allclose(new, old, rtol=RTOL)
    assert new[1] == pytest.approx(S * (V[1] - 1.0), rel=1e-9)


def _random_games(rng: np.random.Generator, n: int, M: int) -> tuple[np.ndarray, ...]:
    """n random games of M members: members at cap 0 and of valuation 0, games with no
    private benefit (members on their steps), some with no cap at all."""
    V = rng.exponential(1.0, (n, M)) * (rng.random((n, M)) < 0.9)
    cap = rng.exponential(2000.0, (n, M)) * (rng.random((n, M)) < 0.6)
    cap[rng.random(n) < 0.05] = 0.0
    S = rng.uniform(100.0, 20000.0, n)
    pi = np.where(rng.random(n) < 0.4, 0.0, rng.exponential(2.0, n))
    s0 = rng.uniform(10.0, 300.0, n)
    return V, cap, S, pi, s0


def test_equilibrium_lanes_equal_trial_equilibrium() -> None:
    """forces.equilibrium_lanes (the pass's buffered trials solved side by side) gives
    trial_equilibrium's shares bit for bit, lane by lane: random games of 1 to 9 members,
    with members at cap 0, without any cap, without private benefit (the residual handed to
    the members on their steps), full buffers and a partial one (lanes past n untouched)."""
    rng = np.random.default_rng(29)
    for M in range(1, 10):
        n = EQUILIBRIUM_LANES + 37
        V, cap, S, pi, s0 = _random_games(rng, n, M)
        want = np.empty((n, M))
        for t in range(n):
            trial_equilibrium(V[t], S[t], pi[t], s0[t], cap[t], EQUILIBRIUM_ITERATIONS,
                              want[t], np.empty(M, np.int64))
        for lo, hi in ((0, EQUILIBRIUM_LANES), (EQUILIBRIUM_LANES, n)):
            k = hi - lo
            out = np.full((M, EQUILIBRIUM_LANES), -7.0)
            equilibrium_lanes(np.ascontiguousarray(_pad(V[lo:hi].T)),
                              _pad(S[lo:hi]), _pad(pi[lo:hi] * s0[lo:hi]), _pad(s0[lo:hi]),
                              np.ascontiguousarray(_pad(cap[lo:hi].T)), k,
                              EQUILIBRIUM_ITERATIONS, out)
            np.testing.assert_array_equal(out[:, :k].T, want[lo:hi])
            assert (out[:, k:] == -7.0).all()
        # the residual path and the games without a cap were taken
        assert (pi == 0.0).any() and (cap.sum(axis=1) == 0.0).any()


def _pad(a: np.ndarray) -> np.ndarray:
    """a's trials (last axis) in a buffer of EQUILIBRIUM_LANES lanes, the rest NaN."""
    out = np.full((*a.shape[:-1], EQUILIBRIUM_LANES), np.nan)
    out[..., : a.shape[-1]] = a
    return out


def test_decide_equals_the_decide_before() -> None:
    """rules.trial_decide (fixed trip counts, selects) equals its frozen copy (loops with
    early exits) on random preferences, caps, rules (needs per rung), leaders, victims and
    leader's draws: the rung, who holds out, who alone vetoes."""
    rng = np.random.default_rng(17)
    cnt = np.zeros(5, np.int64)
    for _ in range(5000):
        M = int(rng.integers(1, 12))
        preferred = rng.integers(0, 5, M).astype(np.int8)
        c = int(rng.choice([2, 3, 4]))
        code = int(rng.integers(0, 2))
        need = np.concatenate([[0], np.sort(rng.integers(0, M + 2, 4))]).astype(np.int64)
        leader = int(rng.integers(-1, M))
        victim = int(rng.integers(0, M))
        draw, weight = float(rng.random()), float(rng.random())
        h1, s1 = np.empty(M, np.bool_), np.empty(M, np.bool_)
        h0, s0 = np.empty(M, np.bool_), np.empty(M, np.bool_)
        a = trial_decide(preferred, c, code, need, leader, victim, draw, weight, h1, s1, cnt)
        b = decide_before(preferred, c, code, need, leader, victim, draw, weight, h0, s0, cnt)
        assert a == b
        np.testing.assert_array_equal(h1, h0)
        np.testing.assert_array_equal(s1, s0)
