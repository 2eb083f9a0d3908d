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
chunk, runs the pipeline, and reduces the chunk with the caller's reducer (the results layer's
tally, which keeps its float sums per block), returning the per-trial arrays only when they
are wanted. A chunk's streams are seeded together (chunk_streams: numpy's SeedSequence hashing
for all its keys at once, alliancesim._seeding), the same generators as stream's.
"""

from __future__ import annotations

import hashlib
import itertools
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliancesim._jit import njit
from alliancesim._seeding import generator as seeded_generator
from alliancesim._seeding import seed_words
from alliancesim.model import crisis, deployment, engagement, fallback, forces, request
from alliancesim.model.council import council_model, eum_council
from alliancesim.model.council.eum import EUMSettings
from alliancesim.model.council.features import COUNCIL_FEATURES, council_rows, trial_cost
from alliancesim.model.council.probit import given_lanes, trial_constants, trial_given
from alliancesim.model.council.rules import decide_lanes, rule_of, trial_decide
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import draw, is_uncertain, point

BLOCK = 4096
# the pass's engagement buffers (_pass): trials, and (day, trial) cells of arrivals
ENGAGE_BUFFER = 4096
ENGAGE_SCHEDULE_CELLS = 1 << 18
GROUP = 128  # trials that share one parameter set under parameter uncertainty (BLOCK / 32)
DEFAULT_CHUNK = 32 * BLOCK
# the default chunk holds about this many (trial, member) cells: 32 blocks of a six-member
# alliance, fewer trials for a wider one (NATO's thirty: 6 blocks), so that the pipeline's
# (trials x members) arrays, not the trial count, bound the memory (docs/performance.md)
CHUNK_CELLS = DEFAULT_CHUNK * 6


def default_chunk(members: int) -> int:
    """The default chunk size for an alliance of `members`: whole blocks, at least one."""
    return max(BLOCK, CHUNK_CELLS // max(members, 6) // BLOCK * BLOCK)
STAGES = ("request", "council", "fallback", "forces", "deployment", "engagement")
# the council models the compiled pass can call, by its code (CompiledCrisis.council_model):
# 0 the ordered probit's member model (probit.trial_given), 1 the expected-utility model's
# bargaining from the same latent support (eum_council.trial_council); council_inputs lays out
# what each needs besides the probit's constants
COUNCIL_CODES = {"ordered_probit": 0, "expected_utility": 1}


@dataclass(frozen=True)
class TrialInputs:
    """Everything random in a set of trials, drawn before the pipeline runs.

    groups holds the values that are constant over each group of GROUP trials (the posterior's
    parameter draws, parameter_groups): one value per group, trial t in group t // GROUP, so
    that they are neither repeated over the group's trials nor read per trial by the pass. A
    name in values (per trial) takes precedence over the same name in groups. per_trial() lays
    them out per trial for code that reads every quantity per trial (the scalar reference)."""

    values: dict[str, np.ndarray]  # quantity name -> (T,)
    eta: np.ndarray  # request noise (T,)
    e: np.ndarray  # member noise (T, M)
    z: np.ndarray  # common shock (T,)
    leader_draw: np.ndarray  # uniform (T,): the leader decides when below the leader's weight
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (ceil(T / GROUP),)

    @property
    def n(self) -> int:
        return int(self.eta.shape[0])

    def per_trial(self) -> TrialInputs:
        """The same inputs with the per-group values repeated over their groups' trials (in
        values; groups empty)."""
        if not self.groups:
            return self
        n = self.n
        values = {k: np.repeat(v, GROUP)[:n] for k, v in self.groups.items()}
        values.update(self.values)
        return TrialInputs(values, self.eta, self.e, self.z, self.leader_draw)

    def with_values(self, values: dict[str, np.ndarray]) -> TrialInputs:
        """The same noise (and per-group values) with other per-trial quantity values."""
        return TrialInputs(values, self.eta, self.e, self.z, self.leader_draw, self.groups)

    def take(self, rows: np.ndarray) -> TrialInputs:
        """The trials at `rows` (an index array); the per-group values laid out per trial."""
        full = self.per_trial()
        return TrialInputs({k: v[rows] for k, v in full.values.items()}, self.eta[rows],
                           self.e[rows], self.z[rows], self.leader_draw[rows])

    def slice(self, start: int, stop: int) -> TrialInputs:
        """Trials [start, stop); the per-group values stay per group when start begins one."""
        src = self if start % GROUP == 0 else self.per_trial()
        g0, g1 = start // GROUP, -(-max(stop, start) // GROUP)
        return TrialInputs({k: v[start:stop] for k, v in src.values.items()},
                           self.eta[start:stop], self.e[start:stop], self.z[start:stop],
                           self.leader_draw[start:stop],
                           {k: v[g0:g1] for k, v in src.groups.items()})

    @staticmethod
    def concat(parts: list[TrialInputs]) -> TrialInputs:
        if len(parts) == 1:
            return parts[0]
        if any(p.n % GROUP for p in parts[:-1]):  # groups would straddle parts: per trial
            parts = [p.per_trial() for p in parts]
        keys = parts[0].values.keys()
        return TrialInputs({k: np.concatenate([p.values[k] for p in parts]) for k in keys},
                           np.concatenate([p.eta for p in parts]),
                           np.concatenate([p.e for p in parts]),
                           np.concatenate([p.z for p in parts]),
                           np.concatenate([p.leader_draw for p in parts]),
                           {k: np.concatenate([p.groups[k] for p in parts])
                            for k in parts[0].groups})


@dataclass(frozen=True)
class TrialResults:
    """Per-trial outputs of one crisis. Arrays are trial-major; (T, M) by alliance member."""

    request: np.ndarray  # int8 (T,): 0 none, 1 consultations, 2 military, 3 material
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


def stream_names(model: CompiledCrisis) -> list[str]:
    """The streams draw_block asks for, in its order: each uncertain quantity's, the parameter
    draws' (under parameter uncertainty), the request's noise, each member's council noise,
    the common shock, the leader's draw."""
    return ([q.name for q in model.quantities if is_uncertain(q.value)]
            + (["parameters"] if model.posterior is not None else [])
            + ["request.noise"] + [f"council.noise.{m}" for m in model.members]
            + ["council.shock", "council.leader"])


def chunk_streams(model: CompiledCrisis, seed: int, start_block: int, stop_block: int
                  ) -> Callable[[int, str], np.random.Generator]:
    """stream(seed, model.crisis_id, block, name) for every block of [start_block, stop_block)
    and every name of stream_names, the same generators seeded together (_seeding: ~1.5
    against ~8 µs a stream; a block of the flagship asks for 12)."""
    names = stream_names(model)
    at = {name: j for j, name in enumerate(names)}
    crisis_key = zlib.crc32(model.crisis_id.encode())
    name_keys = [zlib.crc32(name.encode()) for name in names]
    words = seed_words(seed, [(crisis_key, b, k) for b in range(start_block, stop_block)
                              for k in name_keys])

    def rng(block: int, name: str) -> np.random.Generator:
        return seeded_generator(words[(block - start_block) * len(names) + at[name]])

    return rng


def draw_block(model: CompiledCrisis, seed: int, block: int, n: int = BLOCK,
               streams: Callable[[int, str], np.random.Generator] | None = None
               ) -> TrialInputs:
    """Every random input of one block (n trials), each from its own stream (streams(block,
    name) when given: chunk_streams, the same generators; else made one by one, stream).

    Fixed quantities draw nothing and are not materialised here (see draw_trials).
    """
    def rng(name: str) -> np.random.Generator:
        if streams is not None:
            return streams(block, name)
        return stream(seed, model.crisis_id, block, name)

    values = {q.name: draw(q.value, rng(q.name), n, q.low, q.high) for q in model.quantities
              if is_uncertain(q.value)}
    groups = (parameter_groups(model, rng("parameters"), n) if model.posterior is not None
              else {})
    eta = rng("request.noise").standard_normal(n)
    e = np.empty((n, model.n_members))
    for i, m in enumerate(model.members):
        e[:, i] = rng(f"council.noise.{m}").standard_normal(n)
    z = rng("council.shock").standard_normal(n)
    leader_draw = rng("council.leader").random(n)
    return TrialInputs(values, eta, e, z, leader_draw, groups)


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


def _logistic(x: float) -> float:
    return float(0.5 * (1.0 + np.tanh(0.5 * x)))


def lay_around(centre: dict[str, float], high: dict[str, float], draw: dict[str, float],
               mode: dict[str, float]) -> dict[str, float]:
    """The scenario's values shifted by a posterior draw's deviation from the MAP, each on the
    scale on which the quantity is unbounded (so that nothing is clipped):

    - a probability (council.leader_weight, in [0, 1]) and the shock correlation (in [0, high]):
      on the logit scale, logit(v / high) = logit(c / high) + logit(d / high) - logit(m / high);
      a scenario value at an end of the range (0 for an alliance without a leader) stays there;
    - the unilateral margin (>= 0): on the log scale, v = c d / m (a scenario margin of 0 stays 0);
    - cut-points (council 1-4, request 1-2): the first shifted, each gap scaled, gap_k(v) =
      gap_k(c) gap_k(d) / gap_k(m) (ordered by construction; the scenario's cut-points are
      strictly increasing where fixed); a set of cut-points the scenario draws itself in part
      takes the plain shift (the engine sorts each trial's cut-points);
    - everything else (coefficients, intercepts, the request's threat): v = c + d - m.

    centre: the scenario's fixed council.* and request.* values; draw, mode: the same names at
    the draw and at the MAP (names missing from draw are not drawn: v = c). For the scenario
    whose values are the MAP (the bundled defaults) v is the draw itself."""
    out = dict(centre)
    for name, c in centre.items():
        if name not in draw:
            continue
        d, m = draw[name], mode[name]
        if name in ("council.leader_weight", "council.shock_correlation"):
            top = high[name]
            if 0.0 < c < top:
                out[name] = top * _logistic(_logit(c / top) + _logit(d / top) - _logit(m / top))
        elif name == "council.unilateral_margin":
            out[name] = c * d / m if m > 0.0 else c + d - m
        elif ".cutpoints." not in name:
            out[name] = c + d - m
    for prefix, k in (("council.cutpoints.", 4), ("request.cutpoints.", 2)):
        names = [f"{prefix}{j}" for j in range(1, k + 1)]
        if not all(n in draw for n in names if n in centre):
            continue
        if all(n in centre for n in names):
            out[names[0]] = centre[names[0]] + draw[names[0]] - mode[names[0]]
            for a, b in itertools.pairwise(names):
                gap = (centre[b] - centre[a]) * (draw[b] - draw[a]) / (mode[b] - mode[a])
                out[b] = out[a] + gap
        else:
            for n in names:
                if n in centre:
                    out[n] = centre[n] + draw[n] - mode[n]
    return out


def parameter_groups(model: CompiledCrisis, rng: np.random.Generator, n: int
                     ) -> dict[str, np.ndarray]:
    """Parameter uncertainty: for each group of GROUP trials one of the posterior's stored
    draws (index from rng: the 'parameters' stream), the council's and the request stage's
    together, laid around the scenario's own values (lay_around: in range by construction,
    never clipped). An alliance without cases of its own draws its intercept's deviation from
    N(0, alliance_prior_sd).

    In array form: lay_around runs once per stored draw the groups took, the first time one
    takes it in this process (kept per posterior, scenario values and alliance: _laid; at most
    the posterior's stored draws, however many trials, blocks and crises); the drawn intercept
    of an alliance without cases, c + (m + f) - m per group, is one array expression. The
    numbers are those of laying each group's draw around in turn (tests/test_engine_draws.py)."""
    post = model.posterior
    assert post is not None
    laid = _laid(model)
    mode, own = laid.mode, f"council.alliance_intercepts.{model.alliance}"
    groups = -(-n // GROUP)
    index = rng.integers(0, post.council_draws.shape[0], size=groups)
    foreign = (None if laid.own_drawn
               else post.alliance_prior_sd * rng.standard_normal(groups))
    distinct, which = np.unique(index, return_inverse=True)
    table = np.empty((distinct.size, len(laid.names)))
    for k, i in enumerate(distinct.tolist()):
        row = laid.rows.get(i)
        if row is None:
            draw = laid.council.natural(post.council_draws[i])
            draw["council.alliance_intercept"] = (draw[own] if foreign is None
                                                  else mode["council.alliance_intercept"])
            r = post.request_draws[i]
            draw.update({"request.threat": float(r[0]), "request.cutpoints.1": float(r[1]),
                         "request.cutpoints.2": float(r[2])})
            values = lay_around(post.centre, post.high, draw, mode)
            row = laid.rows[i] = np.array([values[name] for name in laid.names])
        table[k] = row
    per_group = {name: table[which, j] for j, name in enumerate(laid.names)}
    name = "council.alliance_intercept"
    if foreign is not None and name in post.centre:  # v = c + d - m, d = m + f (lay_around)
        m = mode[name]
        per_group[name] = post.centre[name] + (m + foreign) - m
    return per_group


@dataclass
class _Laid:
    """What parameter_groups keeps per posterior in a process (_laid): the council model, the
    MAP's values (mode), whether the alliance has an intercept of its own in the posterior, and each
    stored draw laid around the scenario's values (rows[i], in the order of names), computed
    the first time a group takes draw i."""

    council: Any
    mode: dict[str, float]
    own_drawn: bool
    names: list[str]
    rows: dict[int, np.ndarray]


_LAID: dict[tuple[object, ...], _Laid] = {}  # by content: crises and runs by request share one
_KEYS: dict[int, tuple[object, ...]] = {}  # a posterior's identity -> its content key
LAID_KEPT = 64  # tables kept (the oldest dropped): a scenario's crises share one


def _laid(model: CompiledCrisis) -> _Laid:
    """The crisis's _Laid, made at its first block and kept for any crisis with the same
    posterior, scenario values and alliance (the crises of a scenario and their runs by
    request share one table; a process pool's tasks, each with its own copy of the crisis,
    find it by content too). The content key is computed once per posterior object."""
    post = model.posterior
    assert post is not None
    key = _KEYS.get(id(post))
    if key is None:
        digest = hashlib.sha256()
        for a in (post.council_map, post.council_draws, post.request_map, post.request_draws):
            digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
            digest.update(repr(a.shape).encode())
        key = (model.alliance, post.council_model, post.alliances, post.alliance_prior_sd,
               tuple(post.centre.items()), tuple(post.high.items()), digest.hexdigest())
        _KEYS[id(post)] = key
        weakref.finalize(post, _KEYS.pop, id(post), None)
    laid = _LAID.get(key)
    if laid is None:
        council = council_model(post.council_model).for_alliances(post.alliances)
        mode = council.natural(post.council_map)
        own = f"council.alliance_intercepts.{model.alliance}"
        own_drawn = own in mode
        mode["council.alliance_intercept"] = mode.get(own, 0.0)
        for j, name in enumerate(("request.threat", "request.cutpoints.1",
                                  "request.cutpoints.2")):
            mode[name] = float(post.request_map[j])
        while len(_LAID) >= LAID_KEPT:
            del _LAID[next(iter(_LAID))]
        laid = _LAID[key] = _Laid(council, mode, own_drawn, list(post.centre), {})
    return laid


def parameter_draws(model: CompiledCrisis, rng: np.random.Generator, n: int
                    ) -> dict[str, np.ndarray]:
    """parameter_groups laid out per trial: each group's values repeated over its GROUP
    trials, (n,) per quantity."""
    return {name: np.repeat(values, GROUP)[:n]
            for name, values in parameter_groups(model, rng, n).items()}


def draw_trials(model: CompiledCrisis, seed: int, start_block: int, stop_block: int,
                trials: int, fixed: bool = True) -> TrialInputs:
    """Inputs for blocks [start_block, stop_block), truncated to the first `trials` overall.

    fixed: also lay every fixed quantity, and the per-group parameter draws, out as per-trial
    arrays (for code that reads each quantity per trial: the scalar reference, tests). The
    engine does not need them (run_chunk passes False): run_pipeline takes a quantity missing
    from the values as its fixed scalar, and the per-group values once per group.
    """
    parts = []
    streams = chunk_streams(model, seed, start_block, stop_block)
    for b in range(start_block, stop_block):
        part = draw_block(model, seed, b, streams=streams)
        remaining = trials - b * BLOCK
        if remaining < BLOCK:
            part = part.slice(0, max(remaining, 0))
        parts.append(part)
    inputs = TrialInputs.concat(parts)
    if not fixed:
        return inputs
    inputs = inputs.per_trial()
    for q in model.quantities:
        if not is_uncertain(q.value) and q.name not in inputs.values:
            inputs.values[q.name] = np.full(inputs.n, float(np.clip(point(q.value), q.low,
                                                                     q.high)))
    return inputs


# --------------------------------------------------------------------------- the pipeline
# The quantities the compiled pass reads by name (their position in the per-trial vector x of
# every quantity, -1 when the crisis has none), then the members' (MEMBER_INPUTS) and the
# council's coefficients and cut-points.
SCALARS = (
    "aggressor_strength", "aggressor_troops", "aggressor_commitment", "aggressor_quality",
    "defender_commitment", "trust", "decision_delay_days", "council.intercept",
    "council.alliance_intercept", "council.leader_weight", "council.shock_correlation",
    "council.unilateral_margin", "request.intercept", "request.threat", "request.trust_weight",
    "request.cutpoints.1", "request.cutpoints.2", "forces.valuation", "forces.private_benefit",
    "forces.token_scale", "forces.reference_army", "deployment.transport_days",
    "deployment.unilateral_delay_days", "engagement.attrition",
    "engagement.irregular_efficiency", "engagement.aggressor_break",
    "engagement.defender_break_ratio", "geography.half_strength_km", "geography.km_per_day",
)
(_STRENGTH, _AGG_TROOPS, _AGG_COMMIT, _AGG_QUALITY, _DEF_COMMIT, _TRUST, _DECISION_DELAY,
 _INTERCEPT, _ALLIANCE_INTERCEPT, _LEADER_WEIGHT, _RHO, _MARGIN, _REQ_INTERCEPT, _REQ_THREAT,
 _REQ_TRUST, _REQ_RHO1, _REQ_RHO2, _VALUATION, _PRIVATE, _TOKEN, _REF_ARMY, _TRANSPORT,
 _UNILATERAL_DELAY, _ATTRITION, _IRREGULAR_EFF, _AGG_BREAK, _DEF_BREAK, _HALF_STRENGTH,
 _KM_PER_DAY) = range(len(SCALARS))
MEMBER_INPUTS = ("troops", "quality", "readiness_days", "standing_forces", "base_in_victim")
_TROOPS, _QUALITY, _READINESS, _STANDING, _BASED = range(len(MEMBER_INPUTS))


@dataclass(frozen=True)
class Layout:
    """Where the compiled pass finds each input: the position of every quantity in the
    per-trial vector x (the crisis's quantities in order), the fixed ones' values, and the rows
    of the per-trial arrays."""

    fixed: np.ndarray  # (Q,) every quantity's fixed value (overwritten per trial when drawn)
    drawn: np.ndarray  # (R, T) the per-trial values, one row per quantity given per trial
    drawn_at: np.ndarray  # (R,) their positions in x
    grouped: np.ndarray  # (P, G) the per-group values (TrialInputs.groups), one row per quantity
    grouped_at: np.ndarray  # (P,) their positions in x
    scalars: np.ndarray  # (len(SCALARS),) positions in x, -1: not in this crisis
    members: np.ndarray  # (len(MEMBER_INPUTS), M) positions in x
    coefficients: np.ndarray  # (K,) positions of council.coefficients.<feature>
    cutpoints: np.ndarray  # (4,) positions of council.cutpoints.1..4


def layout(model: CompiledCrisis, inputs: TrialInputs) -> Layout:
    """The compiled pass's view of a crisis and its inputs: a quantity in inputs.values is read
    per trial, one in inputs.groups (and not in values) once per group of GROUP trials, every
    other quantity is passed once, as the scalar it is (its point value within its range),
    never materialised per trial."""
    position = {q.name: j for j, q in enumerate(model.quantities)}
    missing = [n for n in model.uncertain if n not in inputs.values]
    if missing:
        raise ValueError(f"no per-trial values for the uncertain {', '.join(missing)}")
    fixed = np.array([float(np.clip(point(q.value), q.low, q.high)) if not is_uncertain(q.value)
                      else np.nan for q in model.quantities])
    names = [n for n in inputs.values if n in position]
    drawn = (np.stack([np.asarray(inputs.values[n], dtype=np.float64) for n in names])
             if names else np.empty((0, inputs.n)))
    per_group = [n for n in inputs.groups if n in position and n not in inputs.values]
    groups = -(-inputs.n // GROUP)
    grouped = (np.stack([np.asarray(inputs.groups[n], dtype=np.float64) for n in per_group])
               if per_group else np.empty((0, groups)))
    if grouped.shape[1] < groups:
        raise ValueError(f"{grouped.shape[1]} per-group values for {inputs.n} trials "
                         f"(groups of {GROUP}: {groups} needed)")
    return Layout(
        fixed=fixed, drawn=drawn,
        drawn_at=np.array([position[n] for n in names], dtype=np.int64),
        grouped=grouped, grouped_at=np.array([position[n] for n in per_group], dtype=np.int64),
        scalars=np.array([position.get(n, -1) for n in SCALARS], dtype=np.int64),
        members=np.array([[position[f"{q}.{m}"] for m in model.members] for q in MEMBER_INPUTS],
                         dtype=np.int64),
        coefficients=np.array([position[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES],
                              dtype=np.int64),
        cutpoints=np.array([position[f"council.cutpoints.{k}"] for k in range(1, 5)],
                           dtype=np.int64))


@njit(cache=True)
def _pass(fixed: np.ndarray, drawn: np.ndarray, drawn_at: np.ndarray, grouped: np.ndarray,
          grouped_at: np.ndarray, sc: np.ndarray,
          mem: np.ndarray, coef: np.ndarray, cut: np.ndarray, rows: np.ndarray,
          is_row: np.ndarray, cost_at: int, stake: np.ndarray, tied: np.ndarray,
          distance: np.ndarray, aggressor_distance: float, request_fixed: int, victim: int,
          aggressor_member: int, leader: int, rule_code: int,
          need: np.ndarray, council_code: int, council_codes: np.ndarray,
          council_reals: np.ndarray, salience: np.ndarray, voting: np.ndarray,
          common: bool, irregular: bool, horizon: int,
          eta: np.ndarray, e: np.ndarray, z: np.ndarray, leader_draw: np.ndarray,
          req: np.ndarray, rung: np.ndarray, pref: np.ndarray, holds: np.ndarray,
          sole: np.ndarray, fell: np.ndarray, sent: np.ndarray, first: np.ndarray,
          outcome: np.ndarray, end_day: np.ndarray, d_loss: np.ndarray, a_loss: np.ndarray,
          outcome_alone: np.ndarray, end_alone: np.ndarray, d_loss_alone: np.ndarray,
          a_loss_alone: np.ndarray, unilateral: np.ndarray, through: int) -> None:
    """Every stage of every trial in one compiled pass: per trial, the stage functions of
    alliancesim.model in order (request, council, fallback, forces, deployment, engagement with
    and without the alliance), writing the results' rows. Scratch arrays are made once.

    Inputs: x holds every quantity's value for the trial at hand: the fixed values, the
    per-group values (grouped (P, G): written at the first trial of each group of GROUP
    trials) and the per-trial values (drawn (R, T): written every trial, after the groups').
    What the council's member model shares while its parameters stay put (probit.
    trial_constants: sorted cut-points, sqrt(rho), the members' constant terms of mu) is
    computed once, again at each group when there are per-group values, and every trial only
    when a council parameter is itself given per trial. The numbers are those of the pass
    before issue 23 (tests/test_issue23_engine.py holds it to a frozen copy: every count,
    rung, outcome and day exactly, the floats to 1e-9). Three stages are run for many trials side
    by side instead of trial by trial, each bit for bit its per-trial function: the ordered
    probit's council for a group of GROUP trials at its first trial (probit.given_lanes,
    rules.decide_lanes, after the group's opening forces, requests and costs), unless the
    council is the expected-utility model or one of its parameters is given per trial; the
    force equilibria of the trials with participants, buffered with what their later stages
    read and solved EQUILIBRIUM_LANES at a time (forces.equilibrium_lanes), their deployment
    and engagement run then; and the engagements, buffered and stepped LANES at a time in
    lockstep (engagement.engage_lanes, bit for bit trial_engage). The members' rows of the
    (T, M) arrays are worked on in scratch rows and copied out, never taken as views.

    The council's member model is chosen by council_code (COUNCIL_CODES): 0 the ordered probit
    (probit.trial_given), 1 the expected-utility model (eum_council.trial_council: the same
    constants and noise, the members' positions bargained over the rounds of council_codes
    and council_reals, with their saliences and votes). Both write each member's preferred
    rung and unilateral flag; the decision rule and every later stage are the same.

    through < len(STAGES) stops each trial after that many stages (the benchmark's stage
    profile; the later stages' outputs are then left unset)."""
    T, M = e.shape
    K = coef.shape[0]
    x = fixed.copy()
    troops, quality = np.empty(M), np.empty(M)
    ready, standing, based = np.empty(M), np.empty(M), np.empty(M)
    cols, beta, tau, srt = np.zeros(K), np.empty(K), np.empty(4), np.empty(4)
    head, terms = np.empty(M), np.empty((M, K))
    cnt = np.zeros(5, dtype=np.int64)
    # the trial's rows of the (T, M) inputs and results, worked on in these and copied out once
    # a stage is done: a row view (e[t], pref[t], ...) made for each call cost ~6 ns each, ~10
    # of them a trial (issue 23)
    e_row, sent_row = np.empty(M), np.empty(M)
    pref_row = np.empty(M, dtype=np.int8)
    uni_row = np.empty(M, dtype=np.bool_)
    holds_row, sole_row = np.empty(M, dtype=np.bool_), np.empty(M, dtype=np.bool_)
    part = np.empty(M, dtype=np.bool_)
    arrival, day0, later = np.empty(M), np.empty(M), np.empty(M)
    # the expected-utility council's scratch (council_code 1)
    position, capability = np.empty(M), np.empty(M)
    risk, moved, games = np.empty(M), np.empty(M), np.zeros((4, M, M))
    given = sc[_STRENGTH] >= 0
    # the council's leader: none when the leader is the member that attacked (rules.rule_of)
    council_leader = -1 if leader == aggressor_member else leader
    # the geography's per-member terms, recomputed only when d_half or v changes (drawn per
    # trial, or every quantity laid out per trial): most passes compute them once
    reach, travel = np.empty(M), np.empty(M)
    half_at, pace_at = sc[_HALF_STRENGTH], sc[_KM_PER_DAY]
    last_half, last_pace = np.nan, np.nan
    # is a council parameter given per trial? then its constants are recomputed every trial
    council_at = np.concatenate((coef, cut, np.array([sc[_INTERCEPT], sc[_ALLIANCE_INTERCEPT],
                                                      sc[_RHO], sc[_MARGIN]])))
    council_per_trial = False
    for r in range(drawn_at.shape[0]):
        for q in range(council_at.shape[0]):
            if drawn_at[r] == council_at[q]:
                council_per_trial = True
    # is a member input given per trial (or per group)? then the members' rows are read again
    # every trial (or group); else once
    members_per_trial = members_per_group = False
    for q in range(mem.shape[0]):
        for i in range(M):
            for r in range(drawn_at.shape[0]):
                members_per_trial = members_per_trial or drawn_at[r] == mem[q, i]
            for r in range(grouped_at.shape[0]):
                members_per_group = members_per_group or grouped_at[r] == mem[q, i]
    a_ = b_ = bar = 0.0
    # the engagements are stepped LANES at a time in lockstep (engagement.engage_lanes): each
    # trial's inputs are buffered, its engagement without the alliance in one buffer (every
    # trial), with it in another (the trials someone reaches, their arrivals appended to w_*
    # and laid out by day in sched_with when the buffer is stepped); a full buffer is stepped
    # and emptied, and the last trial steps what is left
    B = min(T, ENGAGE_BUFFER) if through >= 6 else 1
    B_with = min(T, max(engagement.LANES, ENGAGE_SCHEDULE_CELLS // (horizon + 1)))
    if through < 6:
        B_with = 1
    alone_in, with_in = np.empty((8, B)), np.empty((8, B_with))
    alone_at, with_at = np.empty(B, dtype=np.int64), np.empty(B_with, dtype=np.int64)
    reached = np.empty(B, dtype=np.bool_)  # the buffered trial is reached (with != alone)
    sched_with = np.zeros((-(-B_with // engagement.LANES), horizon + 1, engagement.LANES))
    w_day, w_lane = np.empty(2 * M * B_with, dtype=np.int64), np.empty(2 * M * B_with,
                                                                        dtype=np.int64)
    w_amount = np.empty(2 * M * B_with)  # the buffered trials' arrivals (trial_arrivals)
    k_with = 0
    no_sched = np.zeros((-(-B // engagement.LANES), 0, engagement.LANES))
    # the trials with participants, buffered for their equilibria (forces.equilibrium_lanes):
    # the members' valuations and caps (M, F), the threat, pi s0, s0, the defender's opening
    # force, the trial
    F = min(T, forces.EQUILIBRIUM_LANES) if through >= 4 else 1
    f_V, f_cap, f_out = np.empty((M, F)), np.empty((M, F)), np.empty((M, F))
    f_S, f_ps, f_s0 = np.empty(F), np.empty(F), np.empty(F)
    f_at = np.empty(F, dtype=np.int64)
    # and what their later stages read: the engagement's inputs (as alone_in's rows), the
    # deployment's delays and transport, the members' rows and travel times when they vary
    eng_row, dep_row = np.empty(8), np.empty(3)
    f_eng, f_dep = np.empty((F, 8)), np.empty((F, 3))
    rows_vary = members_per_trial or members_per_group
    reread = False
    travel_varies = False
    for r in range(drawn_at.shape[0]):
        travel_varies = travel_varies or drawn_at[r] == pace_at
    for r in range(grouped_at.shape[0]):
        travel_varies = travel_varies or grouped_at[r] == pace_at
    f_ready, f_based, f_quality, f_travel = (np.empty((F, M)), np.empty((F, M)),
                                             np.empty((F, M)), np.empty((F, M)))
    n_f = 0
    n_alone = n_with = 0
    first_col = K
    level, c, L = 0, 0, 0
    # the ordered probit's council for a group of trials at once (probit.given_lanes,
    # rules.decide_lanes), when its parameters are not given per trial: at a group's first
    # trial, its trials' requests and costs are computed first (seg_*), then its preferences
    # and the rule's outcomes side by side; each trial then reads its own
    lanes_council = council_code == 0 and not council_per_trial and through >= 2
    SEG = min(T, GROUP) if lanes_council else 1
    t0 = 0
    seg_S, seg_D0, seg_weight = np.empty(SEG), np.empty(SEG), np.empty(SEG)
    seg_level, seg_c = np.empty(SEG, dtype=np.int64), np.empty(SEG, dtype=np.int64)
    seg_rung, seg_code = np.empty(SEG, dtype=np.int64), np.empty(SEG, dtype=np.int64)
    seg_cnt = np.zeros((5, SEG), dtype=np.int64)
    seg_cols, seg_mu = np.zeros((K, SEG)), np.empty(SEG)
    seg_pref, seg_uni = np.empty((M, SEG), dtype=np.int8), np.empty((M, SEG), dtype=np.bool_)
    seg_holds, seg_sole = np.empty((M, SEG), dtype=np.bool_), np.empty((M, SEG), dtype=np.bool_)
    for t in range(T):
        fresh = t == 0 or council_per_trial
        if t % GROUP == 0 and grouped_at.shape[0] > 0:
            g = t // GROUP
            for r in range(grouped_at.shape[0]):
                x[grouped_at[r]] = grouped[r, g]
            fresh = True
        for r in range(drawn_at.shape[0]):
            x[drawn_at[r]] = drawn[r, t]
        if fresh:
            for k in range(K):
                beta[k] = x[coef[k]]
            for k in range(4):
                tau[k] = x[cut[k]]
            a_, b_, bar, first_col = trial_constants(
                rows, is_row, beta, x[sc[_INTERCEPT]] + x[sc[_ALLIANCE_INTERCEPT]], tau,
                x[sc[_RHO]], common, x[sc[_MARGIN]], srt, head, terms)
        if x[half_at] != last_half:
            last_half = x[half_at]
            forces.trial_reach(distance, last_half, reach)
        if x[pace_at] != last_pace:
            last_pace = x[pace_at]
            deployment.trial_travel(distance, last_pace, travel)
        if t == 0 or members_per_trial or (members_per_group and t % GROUP == 0) or reread:
            reread = False
            for i in range(M):
                troops[i] = x[mem[_TROOPS, i]]
                quality[i] = x[mem[_QUALITY, i]]
                ready[i] = x[mem[_READINESS, i]]
                standing[i] = x[mem[_STANDING, i]]
                based[i] = x[mem[_BASED, i]]
        if lanes_council and t % SEG == 0:
            # the group's opening forces, requests and costs, each trial's values in x in
            # turn (then this trial's back), and its council side by side
            t0 = t
            n_seg = min(SEG, T - t)
            for j in range(n_seg):
                for r in range(drawn_at.shape[0]):
                    x[drawn_at[r]] = drawn[r, t + j]
                if members_per_trial:
                    for i in range(M):
                        troops[i] = x[mem[_TROOPS, i]]
                seg_S[j], seg_D0[j] = _opening(given, x, sc, aggressor_distance,
                                               troops[victim])
                seg_level[j] = request.trial_request(
                    request_fixed, x[sc[_REQ_INTERCEPT]], x[sc[_REQ_THREAT]],
                    x[sc[_REQ_TRUST]], seg_S[j], seg_D0[j], x[sc[_TRUST]], eta[t + j],
                    x[sc[_REQ_RHO1]], x[sc[_REQ_RHO2]])
                seg_c[j] = request.REQUEST_CAP[seg_level[j]]
                if cost_at >= 0:
                    seg_cols[cost_at, j] = trial_cost(seg_S[j], troops, victim)
                seg_weight[j] = x[sc[_LEADER_WEIGHT]]
            for r in range(drawn_at.shape[0]):
                x[drawn_at[r]] = drawn[r, t]
            if members_per_trial:
                for i in range(M):
                    troops[i] = x[mem[_TROOPS, i]]
            given_lanes(head, terms, is_row, first_col, beta, seg_cols, a_, b_, bar, srt,
                        common, e, z, t0, n_seg, seg_pref, seg_uni, seg_mu)
            for j in range(n_seg):
                seg_pref[victim, j] = request.VICTIM_PREF[seg_level[j]]
                if aggressor_member >= 0:  # a party to the clash does not vote
                    seg_pref[aggressor_member, j] = 0
            decide_lanes(seg_pref, seg_c, rule_code, need, council_leader, victim, leader_draw,
                         t0, seg_weight, n_seg, seg_rung, seg_holds, seg_sole, seg_cnt,
                         seg_code)
        if lanes_council:
            S, D0 = seg_S[t - t0], seg_D0[t - t0]
        else:
            S, D0 = _opening(given, x, sc, aggressor_distance, troops[victim])
        if through >= 1:
            # 1. request
            if lanes_council:
                level = seg_level[t - t0]
            else:
                level = request.trial_request(
                    request_fixed, x[sc[_REQ_INTERCEPT]], x[sc[_REQ_THREAT]],
                    x[sc[_REQ_TRUST]], S, D0, x[sc[_TRUST]], eta[t], x[sc[_REQ_RHO1]],
                    x[sc[_REQ_RHO2]])
            c = request.REQUEST_CAP[level]
            req[t] = level
        if through >= 2:
            # 2. council: the group's, read (given_lanes, decide_lanes), or this trial's
            if lanes_council:
                j = t - t0
                L = seg_rung[j]
                for i in range(M):
                    pref_row[i], uni_row[i] = seg_pref[i, j], seg_uni[i, j]
                    holds_row[i], sole_row[i] = seg_holds[i, j], seg_sole[i, j]
            else:
                if cost_at >= 0:
                    cols[cost_at] = trial_cost(S, troops, victim)
                for i in range(M):
                    e_row[i] = e[t, i]
                if council_code == 0:
                    trial_given(head, terms, is_row, first_col, beta, cols, a_, b_, bar, srt,
                                common, e_row, z[t], pref_row, uni_row)
                else:
                    eum_council.trial_council(
                        head, terms, is_row, first_col, beta, cols, a_, b_, bar, srt, common,
                        e_row, z[t], troops, voting, salience, council_codes, council_reals,
                        position, capability, games, risk, moved, pref_row, uni_row)
                pref_row[victim] = request.VICTIM_PREF[level]
                if aggressor_member >= 0:  # a party to the clash does not vote (rule_of)
                    pref_row[aggressor_member] = 0
                L = trial_decide(pref_row, c, rule_code, need, council_leader, victim,
                                 leader_draw[t], x[sc[_LEADER_WEIGHT]], holds_row, sole_row,
                                 cnt)
            if aggressor_member >= 0:
                holds_row[aggressor_member] = False
                sole_row[aggressor_member] = False
            rung[t] = L
            for i in range(M):
                pref[t, i], unilateral[t, i] = pref_row[i], uni_row[i]
                holds[t, i], sole[t, i] = holds_row[i], sole_row[i]
        if through >= 3:
            # 3. fallback
            fell[t] = fallback.trial_participants(pref_row, L, c, tied, victim,
                                                  aggressor_member, uni_row, part)
        # 4. forces: a trial with participants is buffered, with what its later stages read
        # (its engagement's inputs, the deployment's delays, and the members' rows or travel
        # times when they vary between trials), its equilibrium solved with the buffer's
        # (forces.equilibrium_lanes) and its later stages run then; the buffer is solved when
        # full and at the last trial
        deferred = False
        if through >= 4:
            deferred = forces.trial_inputs(part, standing, based, reach, troops, stake,
                                           x[sc[_VALUATION]], x[sc[_REF_ARMY]], f_V, f_cap,
                                           n_f)
            if not deferred:
                for i in range(M):
                    sent_row[i] = 0.0
                    sent[t, i] = 0.0
        if through >= 5:
            eng_row[0], eng_row[1], eng_row[2] = S, D0, x[sc[_AGG_QUALITY]]
            eng_row[3], eng_row[4] = quality[victim], x[sc[_ATTRITION]]
            eng_row[5], eng_row[6] = x[sc[_AGG_BREAK]], x[sc[_DEF_BREAK]]
            eng_row[7] = x[sc[_IRREGULAR_EFF]]
            dep_row[0], dep_row[1] = x[sc[_DECISION_DELAY]], x[sc[_UNILATERAL_DELAY]]
            dep_row[2] = x[sc[_TRANSPORT]]
        if deferred:
            f_S[n_f] = S
            f_ps[n_f] = x[sc[_PRIVATE]] * x[sc[_TOKEN]]
            f_s0[n_f] = x[sc[_TOKEN]]
            f_at[n_f] = t
            for r in range(8):
                f_eng[n_f, r] = eng_row[r]
            for r in range(3):
                f_dep[n_f, r] = dep_row[r]
            if rows_vary:
                for i in range(M):
                    f_ready[n_f, i], f_based[n_f, i] = ready[i], based[i]
                    f_quality[n_f, i] = quality[i]
            if travel_varies:
                for i in range(M):
                    f_travel[n_f, i] = travel[i]
            n_f += 1
        solve = n_f > 0 and (n_f == F or t == T - 1)
        if solve:
            forces.equilibrium_lanes(f_V, f_S, f_ps, f_s0, f_cap, n_f,
                                     forces.EQUILIBRIUM_ITERATIONS, f_out)
        # the trials whose later stages run now: this one (q = -1) unless it was buffered,
        # then the buffer's when it was solved, each with the values it was buffered with
        # copied back into the scratch rows (not views: one view per trial cost ~100 ns in
        # reference counts)
        for q in range(0 if deferred else -1, n_f if solve else 0):
            u = t
            if q >= 0:
                u = f_at[q]
                for r in range(8):
                    eng_row[r] = f_eng[q, r]
                for r in range(3):
                    dep_row[r] = f_dep[q, r]
                for i in range(M):
                    sent_row[i] = f_out[i, q]
                    sent[u, i] = sent_row[i]
                if rows_vary:
                    for i in range(M):
                        ready[i], based[i] = f_ready[q, i], f_based[q, i]
                        quality[i] = f_quality[q, i]
                if travel_varies:
                    for i in range(M):
                        travel[i] = f_travel[q, i]
            if through >= 5:
                # 5. deployment
                first[u] = deployment.trial_deployment(rung[u], dep_row[0], dep_row[1], ready,
                                                       dep_row[2], travel, sent_row, based,
                                                       arrival, day0, later)
            if through >= 6:
                # 6. engagement, with and without the alliance (the same when no one
                # arrives), buffered (no one sent: nothing arrives, and nothing is appended)
                arrives = False
                if not np.isnan(first[u]):
                    k = engagement.trial_arrivals(day0, later, arrival, quality, victim,
                                                  horizon, w_day, w_amount, k_with)
                    arrives = k > k_with
                    for j in range(k_with, k):
                        w_lane[j] = n_with
                    k_with = k
                for r in range(8):
                    alone_in[r, n_alone] = eng_row[r]
                alone_at[n_alone], reached[n_alone] = u, arrives
                if arrives:
                    for r in range(8):
                        with_in[r, n_with] = eng_row[r]
                    with_at[n_with] = u
                    n_with += 1
                n_alone += 1
            if n_alone == B:
                _flush_alone(alone_in, no_sched, alone_at, reached, n_alone, horizon,
                             irregular, outcome_alone, end_alone, d_loss_alone, a_loss_alone,
                             outcome, end_day, d_loss, a_loss)
                n_alone = 0
            if n_with == B_with:
                _flush_with(with_in, sched_with, with_at, w_day, w_amount, w_lane, k_with,
                            n_with, horizon, irregular, outcome, end_day, d_loss, a_loss)
                n_with = k_with = 0
        if solve:
            n_f = 0
            # the scratch rows hold the last buffered trial's: the next trial reads its own
            reread = rows_vary
            last_pace = np.nan if travel_varies else last_pace
    # what is left in the engagements' buffers
    if n_alone > 0:
        _flush_alone(alone_in, no_sched, alone_at, reached, n_alone, horizon, irregular,
                     outcome_alone, end_alone, d_loss_alone, a_loss_alone, outcome, end_day,
                     d_loss, a_loss)
    if n_with > 0:
        _flush_with(with_in, sched_with, with_at, w_day, w_amount, w_lane, k_with, n_with,
                    horizon, irregular, outcome, end_day, d_loss, a_loss)


@njit(cache=True)
def _opening(given: bool, x: np.ndarray, sc: np.ndarray, aggressor_distance: float,
             defender_troops: float) -> tuple[float, float]:
    """The trial's opening forces (crisis.trial_opening_forces) from its values x: the
    aggressor's strength as given, or its troops, commitment and distance (half_strength_km
    from x), and the defender's committed troops."""
    if given:
        return crisis.trial_opening_forces(True, x[sc[_STRENGTH]], 0.0, 0.0, 0.0,
                                           x[sc[_HALF_STRENGTH]], x[sc[_DEF_COMMIT]],
                                           defender_troops)
    return crisis.trial_opening_forces(False, 0.0, x[sc[_AGG_TROOPS]], x[sc[_AGG_COMMIT]],
                                       aggressor_distance, x[sc[_HALF_STRENGTH]],
                                       x[sc[_DEF_COMMIT]], defender_troops)


@njit(cache=True)
def _flush_alone(alone_in: np.ndarray, no_sched: np.ndarray, alone_at: np.ndarray,
                 reached: np.ndarray, n: int, horizon: int, irregular: bool,
                 outcome_alone: np.ndarray, end_alone: np.ndarray, d_loss_alone: np.ndarray,
                 a_loss_alone: np.ndarray, outcome: np.ndarray, end_day: np.ndarray,
                 d_loss: np.ndarray, a_loss: np.ndarray) -> None:
    """The buffer of engagements without the alliance stepped (_engage_buffer), and copied to
    the engagement with it for the trials no one reached (it is the same engagement)."""
    _engage_buffer(alone_in, no_sched, alone_at, n, horizon, irregular, outcome_alone,
                   end_alone, d_loss_alone, a_loss_alone)
    for i in range(n):
        if not reached[i]:
            _copy_engagement(alone_at[i], outcome_alone, end_alone, d_loss_alone,
                             a_loss_alone, outcome, end_day, d_loss, a_loss)


@njit(cache=True)
def _flush_with(with_in: np.ndarray, sched_with: np.ndarray, with_at: np.ndarray,
                w_day: np.ndarray, w_amount: np.ndarray, w_lane: np.ndarray, k_with: int,
                n: int, horizon: int, irregular: bool, outcome: np.ndarray,
                end_day: np.ndarray, d_loss: np.ndarray, a_loss: np.ndarray) -> None:
    """The buffer of engagements with the alliance stepped (_engage_buffer), their arrivals
    laid out by day before and cleared after (engagement.lay_schedule)."""
    engagement.lay_schedule(sched_with, w_day, w_amount, w_lane, k_with, False)
    _engage_buffer(with_in, sched_with, with_at, n, horizon, irregular, outcome, end_day,
                   d_loss, a_loss)
    engagement.lay_schedule(sched_with, w_day, w_amount, w_lane, k_with, True)


@njit(cache=True)
def _engage_buffer(inputs: np.ndarray, sched: np.ndarray, at: np.ndarray, n: int,
                   horizon: int, irregular: bool, outcome: np.ndarray, end_day: np.ndarray,
                   d_loss: np.ndarray, a_loss: np.ndarray) -> None:
    """The first n buffered engagements (inputs (8, B): aggressor, defender, their qualities,
    attrition, break, ratio, efficiency; their arrivals sched, laid out as engage_lanes
    takes them), stepped in lockstep (engagement.engage_lanes) and written at rows at[:n]."""
    engagement.engage_lanes(inputs[0, :n], inputs[1, :n], inputs[2, :n], inputs[3, :n],
                            inputs[4, :n], inputs[5, :n], inputs[6, :n], inputs[7, :n],
                            sched, horizon, irregular, at[:n], outcome, end_day, d_loss,
                            a_loss)


@njit(cache=True)
def _copy_engagement(t: int, outcome: np.ndarray, end_day: np.ndarray, d_loss: np.ndarray,
                   a_loss: np.ndarray, outcome_to: np.ndarray, end_to: np.ndarray,
                   d_loss_to: np.ndarray, a_loss_to: np.ndarray) -> None:
    """Trial t's engagement copied from the first four arrays to the last four (the pass: the
    engagement without the alliance is the one with it when no one arrives)."""
    outcome_to[t], end_to[t] = outcome[t], end_day[t]
    d_loss_to[t], a_loss_to[t] = d_loss[t], a_loss[t]


def bargaining_settings(model: CompiledCrisis) -> EUMSettings:
    """The expected-utility council's EUMSettings from the crisis's bargaining parameters (the
    span: the 0-100 response scale's length)."""
    b = model.bargaining
    if b is None:
        raise ValueError(f"crisis {model.crisis_id}: no bargaining settings (council model "
                         f"{model.council_model})")
    return EUMSettings(rounds=b.rounds, q=b.q, t=b.t, span=eum_council.SCALE,
                       denominator=b.denominator, no_challenge=b.no_challenge,
                       offers=b.offers, conflict=b.conflict, perspective=b.perspective,
                       votes=b.votes)


def council_inputs(model: CompiledCrisis, rows: np.ndarray
                   ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the pass's council stage needs besides the probit's constants: (the model's code
    in COUNCIL_CODES, the bargaining's integer codes and reals (eum_council.settings_codes),
    the members' saliences (M,), whether each votes (M,)); placeholders of the same types for
    the probit. rows: council_rows(model)'s member constants."""
    code = COUNCIL_CODES.get(model.council_model)
    if code is None:
        raise ValueError(f"the engine has no compiled pass for the council model "
                         f"{model.council_model!r} (valid: {', '.join(COUNCIL_CODES)})")
    M = model.n_members
    if code == 0:
        return (code, np.zeros(len(eum_council.CODES), dtype=np.int64), np.zeros(3),
                np.zeros(M), np.ones(M, dtype=np.bool_))
    codes, reals = eum_council.settings_codes(bargaining_settings(model))
    voting = rows[:, COUNCIL_FEATURES.index("is_aggressor")] < 0.5
    return (code, codes, reals, np.ascontiguousarray(eum_council.saliences(rows)),
            np.ascontiguousarray(voting))


def run_pipeline(model: CompiledCrisis, inputs: TrialInputs,
                 timings: dict[str, float] | None = None) -> TrialResults:
    """All stages for the trials in `inputs`: one compiled pass per trial (_pass), calling the
    stage functions of alliancesim.model in order. Pure: no I/O, no global state.

    A quantity in inputs.values is read per trial; any other is the crisis's fixed value.
    timings, when given, receives the stage profile: the seconds of the pass stopped after
    reading the inputs ("inputs"), then after each stage in turn, less the time before it
    (so the pass runs len(STAGES) + 2 times; for benchmarks).
    """
    T, M = inputs.n, model.n_members
    lay = layout(model, inputs)
    rows, is_row = council_rows(model)
    council_code, council_codes, council_reals, salience, voting = council_inputs(model, rows)
    cost_at = COUNCIL_FEATURES.index("cost") if "cost" in COUNCIL_FEATURES else -1
    code, need = rule_of(model).compiled
    stake = forces.stake(model.exposure, model.affinity_victim, model.affinity_aggressor,
                         model.leader_stake)
    tied = fallback.may_act_alone(model.tie_to_victim, model.tie_to_aggressor, model.victim,
                                  model.aggressor_member)
    req, rung = np.empty(T, np.int8), np.empty(T, np.int8)
    pref = np.empty((T, M), np.int8)
    holds, sole = np.empty((T, M), np.bool_), np.empty((T, M), np.bool_)
    unilateral = np.empty((T, M), np.bool_)
    fell = np.empty(T, np.bool_)
    sent, first = np.empty((T, M)), np.empty(T)
    outcome, outcome_alone = np.empty(T, np.int8), np.empty(T, np.int8)
    end_day, end_alone = np.empty(T, np.int16), np.empty(T, np.int16)
    d_loss, a_loss, d_alone, a_alone = np.empty(T), np.empty(T), np.empty(T), np.empty(T)

    def run(through: int) -> None:
        _pass(lay.fixed, lay.drawn, lay.drawn_at, lay.grouped, lay.grouped_at, lay.scalars,
              lay.members, lay.coefficients, lay.cutpoints, rows, is_row, cost_at, stake, tied,
              np.ascontiguousarray(model.distance, dtype=np.float64), model.aggressor_distance,
              model.request_fixed, model.victim, model.aggressor_member, model.leader,
              code, need, council_code, council_codes, council_reals, salience, voting,
              model.noise == "common_shock", model.irregular, model.horizon_days,
              np.ascontiguousarray(inputs.eta), np.ascontiguousarray(inputs.e),
              np.ascontiguousarray(inputs.z), np.ascontiguousarray(inputs.leader_draw),
              req, rung, pref, holds, sole, fell, sent, first, outcome, end_day, d_loss, a_loss,
              outcome_alone, end_alone, d_alone, a_alone, unilateral, through)

    if timings is not None:  # the stage profile: the pass stopped after each stage in turn
        previous = 0.0
        for k, stage in enumerate(("inputs", *STAGES)):
            start = time.perf_counter()
            run(k)
            spent = time.perf_counter() - start
            timings[stage] = timings.get(stage, 0.0) + max(spent - previous, 0.0)
            previous = spent
    run(len(STAGES))
    return TrialResults(
        request=req, rung=rung, preferred=pref, holds_out=holds, sole_veto=sole, fallback=fell,
        troops=sent, first_arrival=first, outcome=outcome, end_day=end_day,
        defender_losses=d_loss, aggressor_losses=a_loss, outcome_alone=outcome_alone,
        end_day_alone=end_alone, defender_losses_alone=d_alone,
        aggressor_losses_alone=a_alone, drawn=drawn_inputs(model, inputs))


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
    """What one chunk of trials returns: the reducer's value for the chunk (None without a
    reducer) and, if kept, the trials."""

    first_block: int
    reduced: Any
    results: TrialResults | None


def run_chunk(model: CompiledCrisis, seed: int, first_block: int, stop_block: int, trials: int,
              keep_trials: bool, reduce: Reducer | None = None) -> ChunkOutput:
    """Draw and run blocks [first_block, stop_block): the unit of work of every backend.

    reduce(model, results), when given, is applied once to the chunk's trials (a picklable
    function: it travels to process and Ray workers with the task). The chunk starts at a
    block's first trial and its blocks are BLOCK trials each: a reducer whose numbers must not
    depend on the chunk size keeps what it sums per block (results/tally.py does).
    """
    inputs = draw_trials(model, seed, first_block, stop_block, trials, fixed=False)
    results = run_pipeline(model, inputs)
    reduced = reduce(model, results) if reduce is not None else None
    return ChunkOutput(first_block, reduced, results if keep_trials else None)


def run_trials(model: CompiledCrisis, trials: int, seed: int,
               chunk_size: int = DEFAULT_CHUNK) -> TrialResults:
    """All trials of one crisis in-process, per-trial results kept (tests and small runs)."""
    return TrialResults.concat([run_pipeline(model, draw_trials(model, seed, b0, b1, trials,
                                                                fixed=False))
                                for b0, b1 in chunks(trials, chunk_size)])
