"""A sequence of crises with beliefs carried from one to the next (issue 26; docs/model.md §7).

Built on the engine's public pieces, without a change to its compiled pass. For each crisis, in
date order:

1. draw the crisis's trials (engine.draw_trials: the same streams as a run of that crisis
   alone, so the same seed gives the same draws per crisis and two sequences that differ in
   one response or rule are compared trial by trial);
2. let each trial's beliefs act (feed): the victim's `trust`, the request stage's input
   (stage 1), becomes trust + (E_v - E_v0) (a per-trial value, TrialInputs.with_values), and
   each member's latent council support moves by council_weight (E_i - E_i0), written into the
   member's council noise e_i, which enters the support additively (model/council/probit.py,
   trial_preferences: s_i = mu_i + sqrt(rho) z + sqrt(1 - rho) e_i under the common shock, so
   e_i moves by the shift / sqrt(1 - rho); mu_i + e_i without it). The per-trial inputs of
   the pass that could carry a member's belief are these two: the request's trust (the only
   per-trial input of stage 1 besides its noise) and the members' council noise (the only
   per-trial, per-member input of the council; its coefficients and intercepts are common
   to all members, its features member constants of the compiled crisis);
3. run the pass (engine.run_pipeline) separately for each pattern of members still taking
   part: the trials where some member froze or left run on the compiled crisis without it
   (without_members: its forces, its vote and its share of the cost gone; the rule counts
   those left; the others' random streams are keyed by name, so they are unchanged). A trial
   whose victim is gone records no response (rung -1) and teaches nothing;
4. update each trial's beliefs from what the alliance did (model/belief.py), then freeze or
   exit the members below their thresholds.

Every step is array arithmetic over the trials; the only loops are over crises and over the
distinct patterns of members taking part (at most a handful in practice)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from alliancesim.engine import (
    BLOCK,
    GROUP,
    MEMBER_INPUTS,
    TrialInputs,
    TrialResults,
    draw_trials,
)
from alliancesim.engine import run_pipeline as engine_run_pipeline
from alliancesim.model import belief
from alliancesim.model.belief import BeliefParameters
from alliancesim.results.sequence import (
    Band,
    CrisisStep,
    MemberPath,
    SequenceComparison,
    SequenceReport,
    paired,
)
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis, compile_crisis
from alliancesim.scenario.distributions import is_uncertain, point
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import RUNGS, Scenario, ThreatType, crisis_date

MAX_SEQUENCE_TRIALS = 2_000_000  # every trial's (members,) state is held in memory
GONE = -1  # the rung of a trial whose victim had frozen or left


def ordered(scenario: Scenario) -> list[int]:
    """The crises' indices in date order (stable for equal dates). Every crisis needs a date:
    a UsageError names those without one."""
    missing = [c.id for c in scenario.crises if c.date is None]
    if missing:
        raise UsageError(f"a sequence needs a date on every crisis (date: YYYY-MM-DD or "
                         f"YYYY-MM); none on {', '.join(missing)}", param="scenario",
                         value=scenario.name)
    return sorted(range(len(scenario.crises)),
                  key=lambda k: crisis_date(scenario.crises[k].date))  # type: ignore[arg-type]


TWO_THIRDS = 0.667  # qualified_majority's share when --rule gives none


def decision_rule(spec: str) -> dict[str, object]:
    """A decision rule from `--rule`: consensus (for every rung), simple_majority, leader, or
    qualified_majority[:SHARE] (SHARE in (0, 1], default two thirds). The alliance's own rule
    is replaced whole (its consensus_from too). UsageError for a malformed share."""
    name, _, share = spec.partition(":")
    rule: dict[str, object] = {"rule": name, "source": f"sequence --rule {spec}"}
    if name == "qualified_majority":
        try:
            rule["threshold"] = float(share) if share else TWO_THIRDS
        except ValueError:
            raise UsageError(f"expected qualified_majority:SHARE with SHARE in (0, 1], e.g. "
                             f"qualified_majority:0.667 (got share {share!r})", param="rule",
                             value=spec) from None
    elif share:
        raise UsageError(f"only qualified_majority takes a share (rule {name!r})",
                         param="rule", value=spec)
    return rule


def forced_rungs(scenario: Scenario, observed: bool, forced: Mapping[str, str]
                 ) -> dict[str, int]:
    """The rung forced on each crisis (index into RUNGS): the observed ones with observed=True,
    then `forced` (crisis id -> rung) over them. UsageError for an unknown crisis or rung, or
    a crisis without an observed response under observed=True."""
    ids = [c.id for c in scenario.crises]
    out: dict[str, int] = {}
    if observed:
        lacking = [c.id for c in scenario.crises if c.observed is None]
        if lacking:
            raise UsageError(f"--observed needs the observed response (observed: <rung>) on "
                             f"every crisis; none on {', '.join(lacking)}", param="observed",
                             value=True)
        out = {c.id: RUNGS.index(str(c.observed)) for c in scenario.crises}
    for cid, rung in forced.items():
        if cid not in ids:
            raise UsageError(f"no crisis {cid!r} in the scenario (its crises: "
                             f"{', '.join(ids)})", param="set", value=f"{cid}={rung}")
        if rung not in RUNGS:
            raise UsageError(f"unknown rung {rung!r} (valid: {', '.join(RUNGS)})",
                             param="set", value=f"{cid}={rung}")
        out[cid] = RUNGS.index(rung)
    return out


def without_members(model: CompiledCrisis, keep: np.ndarray) -> CompiledCrisis:
    """The compiled crisis with only the members where keep (M,) is True (the victim must be
    kept): member arrays sliced, indices renumbered, the removed members' quantities dropped.
    The leader or the aggressor member, when removed, is no longer there (-1)."""
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return model
    if not keep[model.victim]:
        raise ValueError("the victim cannot be removed from its own crisis")
    new = np.cumsum(keep) - 1
    gone = {m for m, k in zip(model.members, keep, strict=True) if not k}
    dropped = {f"{q}.{m}" for q in MEMBER_INPUTS for m in gone}

    def at(i: int) -> int:
        return int(new[i]) if i >= 0 and keep[i] else -1

    return dataclasses.replace(
        model, members=tuple(m for m in model.members if m not in gone),
        victim=at(model.victim), leader=at(model.leader),
        aggressor_member=at(model.aggressor_member),
        exposure=model.exposure[keep], affinity_victim=model.affinity_victim[keep],
        affinity_aggressor=model.affinity_aggressor[keep],
        leader_stake=model.leader_stake[keep], is_aggressor=model.is_aggressor[keep],
        tie_to_victim=model.tie_to_victim[keep], tie_to_aggressor=model.tie_to_aggressor[keep],
        distance=model.distance[keep] if model.distance.size else model.distance,
        exposure_origin=tuple(o for o, k in zip(model.exposure_origin, keep, strict=False)
                              if k),
        quantities=tuple(q for q in model.quantities if q.name not in dropped))


def _per_trial(model: CompiledCrisis, inputs: TrialInputs, name: str) -> np.ndarray:
    """A quantity's per-trial values: drawn per trial, drawn per group of GROUP trials (the
    posterior's parameter draws, TrialInputs.groups), or its fixed point within its range."""
    if name in inputs.values:
        return np.asarray(inputs.values[name], dtype=np.float64)
    if name in inputs.groups:
        return np.repeat(np.asarray(inputs.groups[name], dtype=np.float64), GROUP)[:inputs.n]
    q = next(q for q in model.quantities if q.name == name)
    assert not is_uncertain(q.value)
    return np.full(inputs.n, float(np.clip(point(q.value), q.low, q.high)))


def feed(model: CompiledCrisis, inputs: TrialInputs, shift: np.ndarray,
         params: BeliefParameters) -> TrialInputs:
    """The trials' inputs with their beliefs acting: shift (T, M) = E - E0 per member.

    trust (T,) = clip(trust + shift[:, victim], 0, 1) when params.request; the council noise
    e (T, M) + council_weight * shift / sqrt(1 - rho) (common shock) or + council_weight *
    shift. Inputs are returned unchanged where nothing feeds."""
    values, e = inputs.values, inputs.e
    if params.request:
        values = dict(values)
        values["trust"] = np.clip(_per_trial(model, inputs, "trust")
                                  + shift[:, model.victim], 0.0, 1.0)
    if params.council_weight > 0.0:
        scale = (np.sqrt(1.0 - _per_trial(model, inputs, "council.shock_correlation"))
                 if model.noise == "common_shock" else np.ones(inputs.n))
        e = inputs.e + params.council_weight * shift / scale[:, None]
    return TrialInputs(values, inputs.eta, e, inputs.z, inputs.leader_draw, inputs.groups)


@dataclass(frozen=True)
class Step:
    """What one crisis did in every trial (T,): the collective rung (GONE where the victim had
    left), the request (-1 there), and the troops each member sent (T, M; 0 for members not
    taking part)."""

    rung: np.ndarray
    request: np.ndarray
    troops: np.ndarray


Pipeline = Callable[[CompiledCrisis, TrialInputs], TrialResults]


def run_step(model: CompiledCrisis, inputs: TrialInputs, status: np.ndarray,
             pipeline: Pipeline = engine_run_pipeline) -> Step:
    """Run one crisis over trials whose members' status is `status` (T, M): each distinct
    pattern of members taking part on the crisis without the others (without_members)."""
    T, M = status.shape
    rung = np.full(T, GONE, dtype=np.int8)
    request = np.full(T, -1, dtype=np.int8)
    troops = np.zeros((T, M))
    out = status != belief.ACTIVE
    if not out.any():  # everyone takes part: one pattern, no sorting
        patterns, which = np.zeros((1, M), dtype=bool), np.zeros(T, dtype=np.int64)
    elif M <= 62:  # each trial's members out as the bits of one integer: a fast unique
        codes, which = np.unique(out.astype(np.int64) @ (np.int64(1) << np.arange(M)),
                                 return_inverse=True)
        patterns = (codes[:, None] >> np.arange(M)[None, :]) & 1 == 1
    else:
        patterns, which = np.unique(out, axis=0, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    for p, pattern in enumerate(patterns):
        if pattern[model.victim]:
            continue
        rows = np.flatnonzero(which == p)
        keep = ~pattern
        sub = without_members(model, keep)
        part = inputs if rows.size == T else inputs.take(rows)
        if not keep.all():
            part = TrialInputs(part.values, part.eta, np.ascontiguousarray(part.e[:, keep]),
                               part.z, part.leader_draw, part.groups)
        res = pipeline(sub, part)
        rung[rows], request[rows] = res.rung, res.request
        troops[np.ix_(rows, np.flatnonzero(keep))] = res.troops
    return Step(rung, request, troops)


def mean_coverage(scenario: Scenario) -> float:
    """The mean of the alliance's coverage over the five threat types (the prior's c)."""
    alliance = scenario.alliance
    assert not isinstance(alliance, str), "resolve the scenario first"
    return float(np.mean([alliance.scope[t].coverage for t in ThreatType]))


def affinity_with_leader(scenario: Scenario) -> np.ndarray:
    """(M,) each member's affinity with the alliance's leader, by compile_crisis's rule (the
    scenario's pair, else the alliance's member affinity); 1 for the leader, 0 without one."""
    alliance = scenario.alliance
    assert not isinstance(alliance, str), "resolve the scenario first"
    members = list(alliance.members)
    if not alliance.leader:
        return np.zeros(len(members))
    aff = {frozenset((p.a, p.b)): p.value for p in scenario.affinity}
    default = alliance.member_affinity.value
    return np.array([1.0 if m == alliance.leader
                     else aff.get(frozenset((m, alliance.leader)), default)
                     for m in members])


def capabilities(model: CompiledCrisis) -> np.ndarray:
    """(M,) each member's troops (the point value): credibility's weights."""
    by_name = {q.name: q for q in model.quantities}
    return np.array([float(point(by_name[f"troops.{m}"].value)) for m in model.members])


@dataclass(frozen=True)
class SequenceRun:
    """A sequence run: its record and the trials' end state (for paired comparisons), and,
    when kept, each crisis's Step and the belief (T, M) after it."""

    report: SequenceReport
    belief_end: np.ndarray  # (T, M)
    status_end: np.ndarray  # (T, M) int8
    credibility_end: np.ndarray  # (T,)
    steps: tuple[Step, ...] = ()
    beliefs: tuple[np.ndarray, ...] = ()


def _credibility(E: np.ndarray, status: np.ndarray, weight: np.ndarray) -> np.ndarray:
    w = weight[None, :] * (status == belief.ACTIVE)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (w * E).sum(axis=1) / total, np.nan)


def run_sequence(scenario: Scenario, *, trials: int, seed: int, observed: bool = False,
                 forced: Mapping[str, str] | None = None, rule: str | None = None,
                 params: BeliefParameters | None = None, keep: bool = False,
                 pipeline: Pipeline = engine_run_pipeline,
                 progress: Callable[[str], None] | None = None) -> SequenceRun:
    """Run a resolved scenario's crises as a sequence (module docstring): trials and seed as
    a run's; observed forces every crisis's observed rung, forced (crisis id -> rung) a few;
    rule replaces the alliance's decision rule; params the belief model's (model/belief.py's
    defaults). keep: also return every crisis's Step and beliefs (tests)."""
    params = params or BeliefParameters()
    forced = dict(forced or {})
    if not 1 <= trials <= MAX_SEQUENCE_TRIALS:
        raise UsageError(f"must be in 1..{MAX_SEQUENCE_TRIALS:,} for a sequence (every trial's "
                         f"beliefs are held in memory)", param="trials", value=trials)
    if rule is not None:
        scenario = scenario.with_changes({"alliance.decision_rule": decision_rule(rule)})
    order = ordered(scenario)
    rungs = forced_rungs(scenario, observed, forced)
    models = [compile_crisis(scenario, k) for k in order]
    M = models[0].n_members
    a, b = belief.prior(mean_coverage(scenario), M, trials, params)
    E0 = belief.mean(a, b)
    theta = belief.thresholds(affinity_with_leader(scenario), models[0].leader, params)
    weight = capabilities(models[0])
    status = np.zeros((trials, M), dtype=np.int8)
    history_E, history_status = [E0], [status]
    crises: list[CrisisStep] = []
    steps: list[Step] = []
    blocks = -(-trials // BLOCK)
    for model in models:
        if progress is not None:
            progress(model.crisis_id)
        E = belief.mean(a, b)
        inputs = draw_trials(model, seed, 0, blocks, trials, fixed=False)
        inputs = feed(model, inputs, E - E0, params)
        step = run_step(model, inputs, status, pipeline)
        here = step.rung != GONE
        rung = step.rung.astype(np.int64)
        if model.crisis_id in rungs:
            rung = np.where(here, rungs[model.crisis_id], GONE)
        w = belief.evidence_weights(model.victim, model.aggressor_member,
                                    (status == belief.ACTIVE) & here[:, None], params)
        a, b = belief.update(a, b, np.where(here, rung, 0), w, float(model.in_scope))
        E = belief.mean(a, b)
        status = belief.next_status(status, E, theta, params)
        history_E.append(E)
        history_status.append(status)
        if keep:
            steps.append(Step(rung.astype(np.int8), step.request, step.troops))
        n_here = max(int(here.sum()), 1)
        crisis = scenario.crises[[c.id for c in scenario.crises].index(model.crisis_id)]
        crises.append(CrisisStep(
            crisis_id=model.crisis_id, title=model.title, date=str(crisis.date),
            victim=model.members[model.victim], coverage=float(model.in_scope),
            forced=RUNGS[rungs[model.crisis_id]] if model.crisis_id in rungs else None,
            rung_probabilities={r: float(np.sum(rung[here] == j) / n_here)
                                for j, r in enumerate(RUNGS)},
            p_request={r: float(np.sum(step.request[here] == j) / n_here)
                       for j, r in enumerate(REQUEST_LEVELS)},
            p_victim_gone=float(1.0 - here.mean())))
    members = list(models[0].members)
    paths = [MemberPath(
        member=m, belief=Band.of([E[:, i] for E in history_E]),
        p_frozen=[float(np.mean(s[:, i] >= belief.FROZEN)) for s in history_status],
        p_exited=[float(np.mean(s[:, i] == belief.EXITED)) for s in history_status],
        threshold=float(theta[i])) for i, m in enumerate(members)]
    cred = [_credibility(E, s, weight) for E, s in zip(history_E, history_status, strict=True)]
    report = SequenceReport(
        scenario=scenario.name, alliance=models[0].alliance, trials=trials, seed=seed,
        observed=observed, forced={k: RUNGS[v] for k, v in rungs.items() if k in forced},
        rule=rule, belief_parameters=dataclasses.asdict(params),
        steps=["prior", *[c.date for c in crises]], crises=crises, members=paths,
        credibility=Band.of(cred))
    return SequenceRun(report, history_E[-1], status, cred[-1], tuple(steps),
                       tuple(history_E[1:]) if keep else ())


def compare_sequences(baseline: SequenceRun, variant: SequenceRun, label: str
                      ) -> SequenceComparison:
    """The variant against the baseline, trial by trial (both run with the same seed and
    trials: common random numbers)."""
    if baseline.belief_end.shape != variant.belief_end.shape:
        raise ValueError("compare sequences of the same trials and members")
    members = [m.member for m in baseline.report.members]
    return SequenceComparison(
        label=label, baseline=baseline.report, variant=variant.report,
        p_frozen_end=[paired(m, baseline.status_end[:, i] >= belief.FROZEN,
                             variant.status_end[:, i] >= belief.FROZEN)
                      for i, m in enumerate(members)],
        belief_end=[paired(m, baseline.belief_end[:, i], variant.belief_end[:, i])
                    for i, m in enumerate(members)],
        credibility_end=paired("credibility", np.nan_to_num(baseline.credibility_end),
                               np.nan_to_num(variant.credibility_end)))


__all__ = ["GONE", "MAX_SEQUENCE_TRIALS", "SequenceRun", "Step", "affinity_with_leader",
           "capabilities", "compare_sequences", "feed", "forced_rungs", "mean_coverage",
           "ordered", "run_sequence", "run_step", "without_members"]
