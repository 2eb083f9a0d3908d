"""The engine: draws a chunk of trials and runs the model's stages over it.

Seeding: trials are grouped in fixed blocks of BLOCK trials. Block b of crisis c draws from
``np.random.SeedSequence(seed, spawn_key=(crc32(crisis id), b))``, always a whole block, in a
fixed order (the compiled crisis's quantities, then the request noise, the members' noise, the
common shock). A chunk is a run of whole blocks, so the numbers depend on the seed and the
scenario only, never on the chunk size, the backend or the number of workers.

run_chunk is the unit of work every backend maps: it draws a chunk, runs the pipeline and
reduces each block to a Tally (results/tally.py), returning the per-trial arrays only when
they are wanted.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from alliancesim.model import council, deployment, engagement, fallback, forces, request
from alliancesim.results.tally import Tally
from alliancesim.results.trials import TrialResults
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import draw, is_uncertain, point
from alliancesim.scenario.schema import COUNCIL_FEATURES

BLOCK = 4096
DEFAULT_CHUNK = 32 * BLOCK


@dataclass(frozen=True)
class TrialInputs:
    """Everything random in a set of trials, drawn before the pipeline runs."""

    values: dict[str, np.ndarray]  # quantity name -> (T,)
    eta: np.ndarray  # request noise (T,)
    e: np.ndarray  # member noise (T, M)
    z: np.ndarray  # common shock (T,)

    @property
    def n(self) -> int:
        return int(self.eta.shape[0])

    def slice(self, start: int, stop: int) -> TrialInputs:
        return TrialInputs({k: v[start:stop] for k, v in self.values.items()},
                           self.eta[start:stop], self.e[start:stop], self.z[start:stop])

    @staticmethod
    def concat(parts: list[TrialInputs]) -> TrialInputs:
        if len(parts) == 1:
            return parts[0]
        keys = parts[0].values.keys()
        return TrialInputs({k: np.concatenate([p.values[k] for p in parts]) for k in keys},
                           np.concatenate([p.eta for p in parts]),
                           np.concatenate([p.e for p in parts]),
                           np.concatenate([p.z for p in parts]))


def block_seed(seed: int, crisis_id: str, block: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(crisis_id.encode()), block))


def draw_block(model: CompiledCrisis, rng: np.random.Generator, n: int = BLOCK) -> TrialInputs:
    """Draw every random input for n trials, in the fixed order.

    Fixed quantities consume no random numbers and are not materialised here (see draw_trials).
    """
    values = {q.name: draw(q.value, rng, n, q.low, q.high) for q in model.quantities
              if is_uncertain(q.value)}
    eta = rng.standard_normal(n)
    e = rng.standard_normal((n, model.n_members))
    z = rng.standard_normal(n)
    return TrialInputs(values, eta, e, z)


def draw_trials(model: CompiledCrisis, seed: int, start_block: int, stop_block: int,
                trials: int) -> TrialInputs:
    """Inputs for blocks [start_block, stop_block), truncated to the first `trials` overall."""
    parts = []
    for b in range(start_block, stop_block):
        rng = np.random.default_rng(block_seed(seed, model.crisis_id, b))
        part = draw_block(model, rng)
        remaining = trials - b * BLOCK
        if remaining < BLOCK:
            part = part.slice(0, max(remaining, 0))
        parts.append(part)
    inputs = TrialInputs.concat(parts)
    for q in model.quantities:
        if not is_uncertain(q.value):
            inputs.values[q.name] = np.full(inputs.n, float(np.clip(point(q.value), q.low,
                                                                     q.high)))
    return inputs


def _member(values: dict[str, np.ndarray], name: str, members: tuple[str, ...]) -> np.ndarray:
    return np.stack([values[f"{name}.{m}"] for m in members], axis=1)


def aggressor_strength(model: CompiledCrisis, v: dict[str, np.ndarray]) -> np.ndarray:
    if "aggressor_strength" in v:
        return v["aggressor_strength"]
    return np.maximum(v["aggressor_troops"] * v["aggressor_commitment"], 1.0)


def council_columns(model: CompiledCrisis, strength: np.ndarray, troops: np.ndarray
                    ) -> list[np.ndarray]:
    """The council features in the order of COUNCIL_FEATURES, each broadcastable to (T, M).

    Member constants are (M,) rows; the cost, which depends on the trial, is a (T, 1) column:
    the threat relative to the combined forces of the members other than the victim.
    """
    others = troops.sum(axis=1) - troops[:, model.victim]
    cost = np.log1p(strength / np.maximum(others, 1.0))[:, None]
    static = {
        "exposure": model.exposure, "affinity_victim": model.affinity_victim,
        "affinity_aggressor": model.affinity_aggressor, "leader_stake": model.leader_stake,
        "in_scope": np.full(model.n_members, model.in_scope), "is_aggressor": model.is_aggressor,
    }
    return [cost if f == "cost" else static[f] for f in COUNCIL_FEATURES]


def council_features(model: CompiledCrisis, strength: np.ndarray, troops: np.ndarray
                     ) -> np.ndarray:
    """x (T, M, K) in the order of COUNCIL_FEATURES (for the closed form and calibration)."""
    T, M = troops.shape
    cols = [np.broadcast_to(c, (T, M)) for c in council_columns(model, strength, troops)]
    return np.stack(cols, axis=2)


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


STAGES = ("request", "council", "fallback", "forces", "deployment", "engagement")


def run_pipeline(model: CompiledCrisis, inputs: TrialInputs,
                 timings: dict[str, float] | None = None) -> TrialResults:
    """All stages for the trials in `inputs`. Pure: no I/O, no global state.

    timings, when given, receives the seconds spent in each stage (added to what it holds).
    """
    clock = _Stopwatch(timings)
    v = inputs.values
    T, M, vic = inputs.n, model.n_members, model.victim
    troops = _member(v, "troops", model.members)
    quality = _member(v, "quality", model.members)
    S = aggressor_strength(model, v)
    D0 = v["defender_commitment"] * troops[:, vic]

    # 1. request
    if model.request_fixed >= 0:
        req = np.full(T, model.request_fixed, dtype=np.int8)
    else:
        latent = request.request_latent(v["request.intercept"], v["request.threat"],
                                        v["request.trust_weight"], S, D0, v["trust"])
        req = request.request_level(latent, inputs.eta, v["request.cutpoints.1"],
                                    v["request.cutpoints.2"])
    cap = request.REQUEST_CAP[req]
    clock.lap("request")

    # 2. council
    mu = council.latent_support(council_columns(model, S, troops),
                                [v[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES],
                                v["council.intercept"])
    eps = council.member_noise(inputs.e, inputs.z, model.noise, v["council.shock_correlation"])
    tau = np.sort(np.stack([v[f"council.cutpoints.{k}"] for k in range(1, 5)], axis=1), axis=1)
    support = mu + eps
    pref = council.preferred_rung(support, tau)
    pref[:, vic] = cap
    rung, holds_out, sole_veto = council.decide(pref, cap, model.rule, model.quota,
                                                model.leader, vic, model.consensus_from)
    clock.lap("council")

    # 3. fallback
    unilateral = support > (tau[:, 3] + v["council.unilateral_margin"])[:, None]
    part, fell_back = fallback.participants(pref, rung, cap, model.tie_to_victim,
                                            model.tie_to_aggressor, vic, model.aggressor_member,
                                            unilateral)
    clock.lap("fallback")

    # 4. forces
    based = _member(v, "base_in_victim", model.members)
    cap_troops = np.where(part, _member(v, "standing_forces", model.members) + based, 0.0)
    stake = forces.stake(model.exposure, model.affinity_victim, model.affinity_aggressor,
                         model.leader_stake)
    V = (v["forces.valuation"][:, None] * stake[None, :] * troops
         / v["forces.reference_army"][:, None])
    sent = np.zeros((T, M))
    rows = part.any(axis=1)
    if rows.any():
        sent[rows] = forces.equilibrium(V[rows], S[rows], v["forces.private_benefit"][rows],
                                        v["forces.token_scale"][rows], cap_troops[rows])
    clock.lap("forces")

    # 5. deployment
    delay = np.where(rung == 4, v["decision_delay_days"], v["deployment.unilateral_delay_days"])
    arrive = deployment.arrival_days(delay, _member(v, "readiness_days", model.members),
                                     v["deployment.transport_days"])
    day0, later = deployment.split_based(sent, based)
    first = deployment.first_arrival(sent, day0, arrive)
    clock.lap("deployment")

    # 6. engagement, with and without the alliance
    qv = quality[:, vic]
    eff = quality / qv[:, None]  # allied troops in victim-quality units
    amounts = np.concatenate([day0 * eff, later * eff], axis=1)
    days = np.concatenate([np.zeros_like(arrive), arrive], axis=1)
    common = dict(q_aggressor=v["aggressor_quality"], q_defender=qv,
                  attrition=v["engagement.attrition"],
                  aggressor_break=v["engagement.aggressor_break"],
                  defender_break_ratio=v["engagement.defender_break_ratio"],
                  horizon=model.horizon_days, irregular=model.irregular,
                  irregular_efficiency=v["engagement.irregular_efficiency"])
    with_ = engagement.engage(S, D0, reinforcements=(amounts, days),
                              **common)  # type: ignore[arg-type]
    alone = engagement.engage(S, D0, **common)  # type: ignore[arg-type]
    clock.lap("engagement")

    return TrialResults(
        request=req, rung=rung.astype(np.int8), preferred=pref, holds_out=holds_out,
        sole_veto=sole_veto, fallback=fell_back, troops=sent, first_arrival=first,
        outcome=with_.outcome, end_day=with_.end_day, defender_losses=with_.defender_losses,
        aggressor_losses=with_.aggressor_losses, outcome_alone=alone.outcome,
        end_day_alone=alone.end_day, defender_losses_alone=alone.defender_losses,
        aggressor_losses_alone=alone.aggressor_losses,
    )


def chunks(trials: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """Block ranges [b0, b1) covering `trials`, each of chunk_size // BLOCK blocks (at least 1)."""
    n_blocks = -(-trials // BLOCK)
    per = max(1, chunk_size // BLOCK)
    for b0 in range(0, n_blocks, per):
        yield b0, min(n_blocks, b0 + per)


@dataclass(frozen=True)
class ChunkOutput:
    """What one chunk of trials returns: a tally per block (in order) and, if kept, the trials."""

    first_block: int
    tallies: list[Tally]
    results: TrialResults | None


def run_chunk(model: CompiledCrisis, seed: int, first_block: int, stop_block: int, trials: int,
              keep_trials: bool) -> ChunkOutput:
    """Draw and run blocks [first_block, stop_block): the unit of work of every backend."""
    inputs = draw_trials(model, seed, first_block, stop_block, trials)
    results = run_pipeline(model, inputs)
    tallies = [Tally.of(results.slice(k, min(k + BLOCK, results.n)), model.leader)
               for k in range(0, results.n, BLOCK)]
    return ChunkOutput(first_block, tallies, results if keep_trials else None)


def run_trials(model: CompiledCrisis, trials: int, seed: int,
               chunk_size: int = DEFAULT_CHUNK) -> TrialResults:
    """All trials of one crisis in-process, per-trial results kept (tests and small runs)."""
    return TrialResults.concat([run_pipeline(model, draw_trials(model, seed, b0, b1, trials))
                                for b0, b1 in chunks(trials, chunk_size)])
