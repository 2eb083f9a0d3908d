"""The engine: draws a chunk of trials and runs the model's stages over it.

Random streams: trials are grouped in fixed blocks of BLOCK trials, and every random input has
its own stream per block, seeded by ``np.random.SeedSequence(seed, spawn_key=(crc32(crisis id),
block, crc32(stream name)))``. The streams are each uncertain quantity (by its name, e.g.
``troops.RUS``), the request noise (``request.noise``), each member's council noise
(``council.noise.<member>``) and the common shock (``council.shock``). So:

- the numbers depend on the seed and the scenario only, never on the chunk size, the backend or
  the number of workers (a chunk is a run of whole blocks);
- fixing, varying or adding one quantity, or adding or removing a member, leaves every other
  stream's numbers unchanged: two runs that differ in one input use common random numbers.

Fixed quantities draw nothing. run_chunk is the unit of work every backend maps: it draws a
chunk, runs the pipeline, and reduces each block with the caller's reducer (the results layer's
tally), returning the per-trial arrays only when they are wanted.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim.model import crisis, deployment, engagement, fallback, forces, request
from alliancesim.model.council import council_model
from alliancesim.model.council.features import council_columns
from alliancesim.model.council.rules import rule_of
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import draw, is_uncertain, point

BLOCK = 4096
DEFAULT_CHUNK = 32 * BLOCK
# the default chunk holds about this many (trial, member) cells: 32 blocks of a six-member
# alliance, fewer trials for a wider one (NATO's thirty: 6 blocks), so that the pipeline's
# (trials x members) arrays, not the trial count, bound the memory (docs/performance.md)
CHUNK_CELLS = DEFAULT_CHUNK * 6


def default_chunk(members: int) -> int:
    """The default chunk size for an alliance of `members`: whole blocks, at least one."""
    return max(BLOCK, CHUNK_CELLS // max(members, 6) // BLOCK * BLOCK)
STAGES = ("request", "council", "fallback", "forces", "deployment", "engagement")


@dataclass(frozen=True)
class TrialInputs:
    """Everything random in a set of trials, drawn before the pipeline runs."""

    values: dict[str, np.ndarray]  # quantity name -> (T,)
    eta: np.ndarray  # request noise (T,)
    e: np.ndarray  # member noise (T, M)
    z: np.ndarray  # common shock (T,)
    leader_draw: np.ndarray  # uniform (T,): the leader decides when below the leader's weight

    @property
    def n(self) -> int:
        return int(self.eta.shape[0])

    def with_values(self, values: dict[str, np.ndarray]) -> TrialInputs:
        """The same noise with other quantity values."""
        return TrialInputs(values, self.eta, self.e, self.z, self.leader_draw)

    def take(self, rows: np.ndarray) -> TrialInputs:
        """The trials at `rows` (an index array)."""
        return TrialInputs({k: v[rows] for k, v in self.values.items()}, self.eta[rows],
                           self.e[rows], self.z[rows], self.leader_draw[rows])

    def slice(self, start: int, stop: int) -> TrialInputs:
        return TrialInputs({k: v[start:stop] for k, v in self.values.items()},
                           self.eta[start:stop], self.e[start:stop], self.z[start:stop],
                           self.leader_draw[start:stop])

    @staticmethod
    def concat(parts: list[TrialInputs]) -> TrialInputs:
        if len(parts) == 1:
            return parts[0]
        keys = parts[0].values.keys()
        return TrialInputs({k: np.concatenate([p.values[k] for p in parts]) for k in keys},
                           np.concatenate([p.eta for p in parts]),
                           np.concatenate([p.e for p in parts]),
                           np.concatenate([p.z for p in parts]),
                           np.concatenate([p.leader_draw for p in parts]))


@dataclass(frozen=True)
class TrialResults:
    """Per-trial outputs of one crisis. Arrays are trial-major; (T, M) by alliance member."""

    request: np.ndarray  # int8 (T,): 0 none, 1 consultations, 2 military
    rung: np.ndarray  # int8 (T,): collective rung 0..4
    preferred: np.ndarray  # int8 (T, M)
    holds_out: np.ndarray  # bool (T, M)
    sole_veto: np.ndarray  # bool (T, M)
    fallback: np.ndarray  # bool (T,): members acted without the alliance
    troops: np.ndarray  # float (T, M): troops sent
    first_arrival: np.ndarray  # float (T,): day of first allied troops, NaN if none
    outcome: np.ndarray  # int8 (T,): with the alliance (0 repelled, 1 contained, 2 lost)
    end_day: np.ndarray  # int16 (T,)
    defender_losses: np.ndarray
    aggressor_losses: np.ndarray
    outcome_alone: np.ndarray  # int8 (T,): the same crisis without any allied help
    end_day_alone: np.ndarray
    defender_losses_alone: np.ndarray
    aggressor_losses_alone: np.ndarray
    drawn: np.ndarray  # float (T, U): each trial's draws of the uncertain quantities
    # (CompiledCrisis.uncertain names the columns), for scenario discovery

    @property
    def n(self) -> int:
        return int(self.rung.shape[0])

    @staticmethod
    def concat(parts: list[TrialResults]) -> TrialResults:
        if len(parts) == 1:
            return parts[0]
        fields = TrialResults.__dataclass_fields__
        return TrialResults(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})

    def slice(self, start: int, stop: int) -> TrialResults:
        fields = TrialResults.__dataclass_fields__
        return TrialResults(**{f: getattr(self, f)[start:stop] for f in fields})


# --------------------------------------------------------------------------- random streams
def stream(seed: int, crisis_id: str, block: int, name: str) -> np.random.Generator:
    """The generator of one named stream in one block of one crisis."""
    key = (zlib.crc32(crisis_id.encode()), block, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def draw_block(model: CompiledCrisis, seed: int, block: int, n: int = BLOCK) -> TrialInputs:
    """Every random input of one block (n trials), each from its own stream.

    Fixed quantities draw nothing and are not materialised here (see draw_trials).
    """
    def rng(name: str) -> np.random.Generator:
        return stream(seed, model.crisis_id, block, name)

    values = {q.name: draw(q.value, rng(q.name), n, q.low, q.high) for q in model.quantities
              if is_uncertain(q.value)}
    if model.posterior is not None:
        values.update(parameter_draws(model, rng("parameters"), n))
    eta = rng("request.noise").standard_normal(n)
    e = np.empty((n, model.n_members))
    for i, m in enumerate(model.members):
        e[:, i] = rng(f"council.noise.{m}").standard_normal(n)
    z = rng("council.shock").standard_normal(n)
    leader_draw = rng("council.leader").random(n)
    return TrialInputs(values, eta, e, z, leader_draw)


GROUP = 128  # trials that share one parameter set under parameter uncertainty (BLOCK / 32)


def parameter_draws(model: CompiledCrisis, rng: np.random.Generator, n: int
                    ) -> dict[str, np.ndarray]:
    """Parameter uncertainty: one draw from the calibration's posterior for each group of GROUP
    trials, laid around the scenario's own values (value = centre + natural(theta_draw) -
    natural(theta_hat)); cut-points kept in order, every value within its quantity's range."""
    post = model.posterior
    assert post is not None
    council = council_model(post.council_model).for_alliances(post.alliances)
    base = council.natural(post.council_theta)
    own = f"council.alliance_intercepts.{model.alliance}"
    groups = -(-n // GROUP)
    out = {name: np.empty(n) for name in post.centre}
    for g in range(groups):
        sl = slice(g * GROUP, min((g + 1) * GROUP, n))
        theta = post.council_theta + post.council_chol @ rng.standard_normal(
            post.council_theta.size)
        dev = {k: v - base[k] for k, v in council.natural(theta).items()}
        # this alliance's intercept; an alliance without cases draws it from the prior
        dev["council.alliance_intercept"] = (
            dev[own] if own in dev else post.alliance_prior_sd * float(rng.standard_normal()))
        r = post.request_mean + post.request_chol @ rng.standard_normal(3)
        dev["request.threat"] = float(r[0] - post.request_mean[0])
        dev["request.cutpoints.1"] = float(r[1] - post.request_mean[1])
        dev["request.cutpoints.2"] = float(r[2] - post.request_mean[2])
        for name, centre in post.centre.items():
            out[name][sl] = centre + dev.get(name, 0.0)
    for a, b in (("request.cutpoints.1", "request.cutpoints.2"),):
        if a in out and b in out:
            lo, hi = np.minimum(out[a], out[b]), np.maximum(out[a], out[b])
            out[a], out[b] = lo, hi
    # a draw laid around a scenario's own value can leave the quantity's range (a scenario's
    # shock correlation of 0.8 plus a draw above the calibrated 0.31; a negative margin): clip
    # to it, as every draw
    bounds = {q.name: (q.low, q.high) for q in model.quantities}
    for name, values in out.items():
        low, high = bounds.get(name, (-np.inf, np.inf))
        np.clip(values, low, high, out=values)
    return out


def draw_trials(model: CompiledCrisis, seed: int, start_block: int, stop_block: int,
                trials: int) -> TrialInputs:
    """Inputs for blocks [start_block, stop_block), truncated to the first `trials` overall."""
    parts = []
    for b in range(start_block, stop_block):
        part = draw_block(model, seed, b)
        remaining = trials - b * BLOCK
        if remaining < BLOCK:
            part = part.slice(0, max(remaining, 0))
        parts.append(part)
    inputs = TrialInputs.concat(parts)
    for q in model.quantities:
        if not is_uncertain(q.value) and q.name not in inputs.values:
            inputs.values[q.name] = np.full(inputs.n, float(np.clip(point(q.value), q.low,
                                                                     q.high)))
    return inputs


# --------------------------------------------------------------------------- the pipeline
def _member(values: dict[str, np.ndarray], name: str, members: tuple[str, ...]) -> np.ndarray:
    return np.stack([values[f"{name}.{m}"] for m in members], axis=1)


class _Stopwatch:
    """Adds the time of each stage to a dict when one is given (benchmarks); else does nothing."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.t = time.perf_counter() if timings is not None else 0.0

    def lap(self, stage: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.t
            self.t = now


def run_pipeline(model: CompiledCrisis, inputs: TrialInputs,
                 timings: dict[str, float] | None = None) -> TrialResults:
    """All stages for the trials in `inputs`, one stage call after another (the equations are
    in alliancesim.model). Pure: no I/O, no global state.

    timings, when given, receives the seconds spent in each stage (added to what it holds).
    """
    clock = _Stopwatch(timings)
    v = inputs.values
    vic = model.victim
    troops = _member(v, "troops", model.members)
    S = crisis.aggressor_strength(v)
    D0 = crisis.committed_forces(v, troops[:, vic])

    # 1. request
    req = request.request(model.request_fixed, v, S, D0, inputs.eta)
    cap = request.REQUEST_CAP[req]
    clock.lap("request")

    # 2. council
    prefs = council_model(model.council_model).preferences(
        council_columns(model, S, troops), v, inputs.e, inputs.z, model.noise)
    pref = prefs.preferred
    pref[:, vic] = request.VICTIM_PREF[req]  # the victim's own vote: nothing, consultations, all
    rung, holds_out, sole_veto = rule_of(model).decide_weighted(
        pref, cap, vic, inputs.leader_draw, v["council.leader_weight"])
    clock.lap("council")

    # 3. fallback
    part, fell_back = fallback.participants(pref, rung, cap, model.tie_to_victim,
                                            model.tie_to_aggressor, vic, model.aggressor_member,
                                            prefs.unilateral)
    clock.lap("fallback")

    # 4. forces
    based = _member(v, "base_in_victim", model.members)
    V = forces.valuations(v["forces.valuation"], forces.stake(
        model.exposure, model.affinity_victim, model.affinity_aggressor, model.leader_stake),
        troops, v["forces.reference_army"])
    sent = forces.contributions(part, _member(v, "standing_forces", model.members), based, V, S,
                                v["forces.private_benefit"], v["forces.token_scale"])
    clock.lap("forces")

    # 5. deployment
    delay = deployment.delay(rung, v["decision_delay_days"],
                             v["deployment.unilateral_delay_days"])
    arrive = deployment.arrival_days(delay, _member(v, "readiness_days", model.members),
                                     v["deployment.transport_days"])
    day0, later = deployment.split_based(sent, based)
    first = deployment.first_arrival(sent, day0, arrive)
    clock.lap("deployment")

    # 6. engagement, with and without the alliance
    quality = _member(v, "quality", model.members)
    common = dict(q_aggressor=v["aggressor_quality"], q_defender=quality[:, vic],
                  attrition=v["engagement.attrition"],
                  aggressor_break=v["engagement.aggressor_break"],
                  defender_break_ratio=v["engagement.defender_break_ratio"],
                  horizon=model.horizon_days, irregular=model.irregular,
                  irregular_efficiency=v["engagement.irregular_efficiency"])
    with_ = engagement.engage(S, D0, reinforcements=engagement.reinforcements(
        day0, later, arrive, quality, vic), **common)  # type: ignore[arg-type]
    alone = engagement.engage(S, D0, **common)  # type: ignore[arg-type]
    clock.lap("engagement")

    return TrialResults(
        request=req, rung=rung, preferred=pref, holds_out=holds_out,
        sole_veto=sole_veto, fallback=fell_back, troops=sent, first_arrival=first,
        outcome=with_.outcome, end_day=with_.end_day, defender_losses=with_.defender_losses,
        aggressor_losses=with_.aggressor_losses, outcome_alone=alone.outcome,
        end_day_alone=alone.end_day, defender_losses_alone=alone.defender_losses,
        aggressor_losses_alone=alone.aggressor_losses,
        drawn=drawn_inputs(model, inputs),
    )


def drawn_inputs(model: CompiledCrisis, inputs: TrialInputs) -> np.ndarray:
    """(T, U): the trials' draws of the uncertain quantities, in CompiledCrisis.uncertain order."""
    names = model.uncertain
    if not names:
        return np.empty((inputs.n, 0))
    return np.stack([inputs.values[n] for n in names], axis=1)


# --------------------------------------------------------------------------- chunks
def chunks(trials: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """Block ranges [b0, b1) covering `trials`, each of chunk_size // BLOCK blocks (at least 1)."""
    n_blocks = -(-trials // BLOCK)
    per = max(1, chunk_size // BLOCK)
    for b0 in range(0, n_blocks, per):
        yield b0, min(n_blocks, b0 + per)


Reducer = Callable[[CompiledCrisis, TrialResults], Any]


@dataclass(frozen=True)
class ChunkOutput:
    """What one chunk of trials returns: the reducer's value per block (in order) and, if kept,
    the trials."""

    first_block: int
    reduced: list[Any]
    results: TrialResults | None


def run_chunk(model: CompiledCrisis, seed: int, first_block: int, stop_block: int, trials: int,
              keep_trials: bool, reduce: Reducer | None = None) -> ChunkOutput:
    """Draw and run blocks [first_block, stop_block): the unit of work of every backend.

    reduce(model, block_results), when given, is applied to each block's trials in order (a
    picklable function: it travels to process and Ray workers with the task).
    """
    inputs = draw_trials(model, seed, first_block, stop_block, trials)
    results = run_pipeline(model, inputs)
    reduced = ([reduce(model, results.slice(k, min(k + BLOCK, results.n)))
                for k in range(0, results.n, BLOCK)] if reduce is not None else [])
    return ChunkOutput(first_block, reduced, results if keep_trials else None)


def run_trials(model: CompiledCrisis, trials: int, seed: int,
               chunk_size: int = DEFAULT_CHUNK) -> TrialResults:
    """All trials of one crisis in-process, per-trial results kept (tests and small runs)."""
    return TrialResults.concat([run_pipeline(model, draw_trials(model, seed, b0, b1, trials))
                                for b0, b1 in chunks(trials, chunk_size)])
