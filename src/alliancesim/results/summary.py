"""Summaries of an ensemble: every output as a probability or a distribution over trials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from alliancesim.model.engagement import OUTCOMES
from alliancesim.model.request import REQUEST_CAP
from alliancesim.results.bands import (
    BaseRate,
    Benchmark,
    HeldOut,
    RequestStageScore,
    headline_bands,
    outcome_se,
    response_se,
    troops_band,
    troops_se,
)
from alliancesim.results.headlines import headline_errors, summary_headlines
from alliancesim.results.reach import Extrapolation, beyond_record
from alliancesim.results.tally import Tally, hist_quantile
from alliancesim.results.tidy import ALL, frame, row
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis
from alliancesim.scenario.schema import RUNGS

if TYPE_CHECKING:
    import pandas as pd


class MemberSummary(BaseModel):
    id: str
    name: str
    role: str  # victim, aggressor, leader, member
    preferred_military: float  # P(member's own preference is military help)
    holds_out: float  # P(decision short of the request and member did not support more)
    sole_veto: float  # P(member alone pivotal)
    p_sends: float  # P(member sends troops)
    mean_troops: float  # E[troops], zeros included
    mean_troops_when_sent: float | None  # E[troops | member sends]
    # the Monte Carlo standard error of mean_troops (the cluster one under parameter
    # uncertainty) and its 90% parameter band (bands.troops_se, bands.troops_band)
    mean_troops_se: float | None = None
    mean_troops_band: tuple[float, float] | None = None


class Spread(BaseModel):
    median: float
    p10: float
    p90: float


class CrisisSummary(BaseModel):
    crisis_id: str
    title: str
    victim: str
    aggressor: str
    threat: str
    trials: int
    request: dict[str, float]
    response: dict[str, float]
    response_se: dict[str, float]
    members: list[MemberSummary]
    p_acts_without_alliance: float
    p_leader_alone: float
    p_other_member_alone: float
    p_coalition_of_willing: float
    p_troops_sent: float
    mean_total_troops: float
    leader_share: float | None  # E[leader troops] / E[total troops]
    first_arrival_days: Spread | None  # given troops are sent
    outcome_with_alliance: dict[str, float]
    outcome_alone: dict[str, float]
    repelled_gain: float  # P(repelled | alliance) - P(repelled | alone)
    days_to_end_with_alliance: Spread
    days_to_end_alone: Spread
    horizon_days: int = 0  # the engagement's horizon: "contained" means undecided by then
    defender_losses_with_alliance: float
    defender_losses_alone: float
    # parameter uncertainty (parameters.uncertainty: posterior): the 90% band of each headline
    # over the parameter draws, with the Monte Carlo noise of each group taken out (bands.py)
    parameter_groups: int = 0
    parameter_band: dict[str, tuple[float, float]] | None = None
    # the Monte Carlo standard errors of outcome_with_alliance (the cluster ones under parameter
    # uncertainty) and of outcome_alone (binomial: no parameter enters the victim's fight alone)
    outcome_se: dict[str, float] | None = None
    outcome_alone_se: dict[str, float] | None = None
    # the request: the level the scenario fixes ("none", "consultations", "military"), or None
    # when the fitted request stage draws it (the `request` shares above)
    request_fixed: str | None = None
    # the benchmark: the base rate of each rung among the bundled cases with the same request
    # (the alliance's own where it has such cases, else all cases: base_rates says which), mixed
    # over this crisis's request distribution
    base_rate: dict[str, float] | None = None
    base_rates: dict[str, BaseRate] | None = None  # per request level this crisis can make
    # the headline: the same crisis run with the request fixed at each level (same seed and
    # streams: common random numbers), when the scenario leaves the request to the request stage
    by_request: dict[str, CrisisSummary] | None = None
    # where the crisis lies outside what the calibration's cases span (results/reach.py): the
    # alliance, threat, request, rule, number of members or a member's feature; empty: within
    outside_record: list[Extrapolation] = Field(default_factory=list)
    # the headlines of every experiment (results/headlines.py) with their Monte Carlo error
    # (the cluster one under parameter uncertainty) and 90% parameter band, where counted
    headline_se: dict[str, float] = Field(default_factory=dict)
    headline_band: dict[str, tuple[float, float]] = Field(default_factory=dict)


# the order the reports show the request levels in: the request that opens troops first
SHOWN_REQUESTS = ("military", "material", "consultations", "none")
# the highest rung each request allows (model/request.py), by name; a drawn request allows all
CAP = {level: int(REQUEST_CAP[k]) for k, level in enumerate(REQUEST_LEVELS)}
# how the reports name a run by its request: the run as asked, and a crisis that fixes it
ASKED = {"military": "asked for military help", "material": "asked for material help",
         "consultations": "asked for consultations", "none": "no request"}
FIXED = {"military": "asks for military help", "material": "asks for material help",
         "consultations": "asks for consultations", "none": "makes no request"}
DETAIL_REQUEST = "military"


def detail(c: CrisisSummary) -> CrisisSummary:
    """The run whose members, troops and outcomes the reports show: where the request is drawn
    and the crisis was also run by request, the one with the request fixed at military help
    (troops go only when asked for); else the crisis's own run."""
    return (c.by_request or {}).get(DETAIL_REQUEST, c)


class EnsembleSummary(BaseModel):
    scenario: str
    title: str
    alliance: str
    trials: int
    seed: int
    version: str
    crises: list[CrisisSummary]
    # the held-out score of the request stage that draws the requests of the mixed rows
    request_stage: RequestStageScore | None = None
    # the model against the best baseline that knows the alliance, held out (the hindcast)
    held_out: HeldOut | None = None

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py): one row per crisis, run, member and headline.

        request_given: the request the run was given: "drawn" (the request stage draws it),
        the level a crisis fixes, or each level of the runs by request (by_request). member
        "all" (the crisis as a whole): the headlines of every experiment (military help,
        mission or more, acts without the alliance, troops sent, repelled / lost with the
        alliance), each rung ("response: mission"), each request level ("request: military")
        and the mean troops sent; each member: "sends troops", "prefers military help",
        "holds out", "sole veto" and "mean troops". mc_se: the Monte Carlo standard error
        (the cluster one under parameter uncertainty where the headline is counted per group;
        binomial otherwise; NaN for means); lower, upper: the 90% parameter band (NaN
        without)."""
        rows: list[dict[str, Any]] = []
        for c in self.crises:
            runs = [(c.request_fixed or "drawn", c), *(c.by_request or {}).items()]
            for given, run in runs:
                rows.extend(_crisis_rows(run, given))
        return frame(rows, ("request_given",))


def _crisis_rows(c: CrisisSummary, given: str) -> list[dict[str, Any]]:
    """One run's tidy rows (EnsembleSummary.to_pandas)."""
    n = c.trials

    def binomial(p: float) -> float:
        return float(np.sqrt(p * (1 - p) / n))

    band = c.parameter_band or {}
    out = [row(c.crisis_id, ALL, h, v, c.headline_se.get(h, binomial(v)), c.headline_band.get(h),
               request_given=given) for h, v in summary_headlines(c).items()]
    out += [row(c.crisis_id, ALL, f"response: {r}", v, c.response_se.get(r, binomial(v)),
                band.get(r), request_given=given) for r, v in c.response.items()]
    out += [row(c.crisis_id, ALL, f"request: {k}", v, binomial(v), request_given=given)
            for k, v in c.request.items()]
    out.append(row(c.crisis_id, ALL, "mean troops", c.mean_total_troops, request_given=given))
    for m in c.members:
        for h, v in (("sends troops", m.p_sends), ("prefers military help",
                                                   m.preferred_military),
                     ("holds out", m.holds_out), ("sole veto", m.sole_veto)):
            out.append(row(c.crisis_id, m.id, h, v, binomial(v), request_given=given))
        out.append(row(c.crisis_id, m.id, "mean troops", m.mean_troops, request_given=given))
    return out


def _spread(hist: np.ndarray) -> Spread | None:
    if hist.sum() == 0:
        return None
    return Spread(median=hist_quantile(hist, 0.5), p10=hist_quantile(hist, 0.1),
                  p90=hist_quantile(hist, 0.9))


def _freq(counts: np.ndarray, labels: tuple[str, ...], n: int) -> dict[str, float]:
    return {lab: float(c) / n for lab, c in zip(labels, counts, strict=True)}


def _mixed(request: dict[str, float], rates: dict[str, BaseRate]) -> dict[str, float] | None:
    """The base rates mixed over a request distribution (None if a level it gives weight to has
    no case in the record: material help, so far)."""
    if any(w > 0 and level not in rates for level, w in request.items()):
        return None
    return {rung: sum(w * rates[level].response[rung] for level, w in request.items() if w > 0)
            for rung in RUNGS}


def summarise(model: CompiledCrisis, t: Tally, names: dict[str, str],
              benchmark: Benchmark | None = None,
              by_request: dict[str, tuple[CompiledCrisis, Tally]] | None = None
              ) -> CrisisSummary:
    """One crisis's summary; by_request: the same crisis run with the request fixed at each
    level (level -> its compiled crisis and tally)."""
    n = t.n
    request = _freq(t.request, REQUEST_LEVELS, n)
    fixed = None if model.request_fixed < 0 else REQUEST_LEVELS[model.request_fixed]
    rates = None
    if benchmark is not None:
        rates = {k: benchmark.base_rates[k] for k in ([fixed] if fixed else REQUEST_LEVELS)
                 if k in benchmark.base_rates} or None
    response = _freq(t.rung, RUNGS, n)
    members: list[MemberSummary] = []
    troop_se = troops_se(n, t.troops, t.troops_sq, t.troops_groups, t.groups)
    troop_bands = troops_band(n, t.troops, t.troops_groups, t.groups)
    for i, m in enumerate(model.members):
        role = ("victim" if i == model.victim else "aggressor" if i == model.aggressor_member
                else "leader" if i == model.leader else "member")
        k = int(t.sends[i])
        members.append(MemberSummary(
            id=m, name=names.get(m, m), role=role,
            preferred_military=float(t.preferred_military[i]) / n,
            holds_out=float(t.holds_out[i]) / n, sole_veto=float(t.sole_veto[i]) / n,
            p_sends=k / n, mean_troops=float(t.troops[i]) / n,
            mean_troops_when_sent=float(t.troops[i]) / k if k else None,
            mean_troops_se=float(troop_se[i]) if np.isfinite(troop_se[i]) else None,
            mean_troops_band=None if troop_bands is None else troop_bands[i],
        ))
    total = float(t.troops.sum())
    mean_total = total / n
    leader_share = (float(t.troops[model.leader]) / total
                    if model.leader >= 0 and total > 0 else None)
    with_ = _freq(t.outcome, OUTCOMES, n)
    alone = _freq(t.outcome_alone, OUTCOMES, n)
    ends_with = _spread(t.end_day)
    ends_alone = _spread(t.end_day_alone)
    assert ends_with is not None and ends_alone is not None
    c = CrisisSummary(
        crisis_id=model.crisis_id, title=model.title, victim=model.members[model.victim],
        aggressor=model.aggressor, threat=model.threat, trials=n,
        request=request, response=response,
        response_se=(response_se(t.groups) or
                     {k: float(np.sqrt(p * (1 - p) / n)) for k, p in response.items()}),
        members=members,
        p_acts_without_alliance=t.fallback / n,
        p_leader_alone=t.leader_alone / n,
        p_other_member_alone=t.other_member_alone / n,
        p_coalition_of_willing=t.coalition / n,
        p_troops_sent=t.any_troops / n, mean_total_troops=mean_total,
        leader_share=leader_share, first_arrival_days=_spread(t.first_arrival),
        outcome_with_alliance=with_, outcome_alone=alone,
        repelled_gain=with_["repelled"] - alone["repelled"],
        days_to_end_with_alliance=ends_with, days_to_end_alone=ends_alone,
        horizon_days=model.horizon_days,
        defender_losses_with_alliance=t.defender_losses / n,
        defender_losses_alone=t.defender_losses_alone / n,
        parameter_groups=t.groups.count,
        parameter_band=headline_bands(t.groups),
        outcome_se=(outcome_se(t.groups) or
                    {k: float(np.sqrt(p * (1 - p) / n)) for k, p in with_.items()}),
        outcome_alone_se={k: float(np.sqrt(p * (1 - p) / n)) for k, p in alone.items()},
        request_fixed=fixed,
        base_rate=None if rates is None else _mixed(request, rates), base_rates=rates,
        by_request=None if not by_request else {
            level: summarise(m, tally, names, benchmark) for level, (m, tally)
            in by_request.items()},
        outside_record=beyond_record(model),
    )
    errors = headline_errors(summary_headlines(c), t.groups, n)
    c.headline_se = {h: se for h, (se, _) in errors.items()}
    c.headline_band = {h: b for h, (_, b) in errors.items() if b is not None}
    return c
