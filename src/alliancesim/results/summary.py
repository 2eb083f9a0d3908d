"""Summaries of an ensemble: every output as a probability or a distribution over trials."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from alliancesim.engine import TrialResults
from alliancesim.model.engagement import OUTCOMES
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis
from alliancesim.scenario.schema import RUNGS


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
    defender_losses_with_alliance: float
    defender_losses_alone: float


class EnsembleSummary(BaseModel):
    scenario: str
    title: str
    alliance: str
    trials: int
    seed: int
    version: str
    crises: list[CrisisSummary]


def _spread(x: np.ndarray) -> Spread | None:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    q = np.quantile(x, [0.5, 0.1, 0.9])
    return Spread(median=float(q[0]), p10=float(q[1]), p90=float(q[2]))


def _freq(values: np.ndarray, labels: tuple[str, ...]) -> dict[str, float]:
    counts = np.bincount(values.astype(np.int64), minlength=len(labels)) / max(values.size, 1)
    return {lab: float(c) for lab, c in zip(labels, counts, strict=True)}


def summarise(model: CompiledCrisis, r: TrialResults, names: dict[str, str]) -> CrisisSummary:
    n = r.n
    response = _freq(r.rung, RUNGS)
    sent = r.troops > 0
    total = r.troops.sum(axis=1)
    n_sending = sent.sum(axis=1)
    members: list[MemberSummary] = []
    for i, m in enumerate(model.members):
        role = ("victim" if i == model.victim else "aggressor" if i == model.aggressor_member
                else "leader" if i == model.leader else "member")
        k = int(sent[:, i].sum())
        members.append(MemberSummary(
            id=m, name=names.get(m, m), role=role,
            preferred_military=float((r.preferred[:, i] == 4).mean()),
            holds_out=float(r.holds_out[:, i].mean()), sole_veto=float(r.sole_veto[:, i].mean()),
            p_sends=k / n, mean_troops=float(r.troops[:, i].mean()),
            mean_troops_when_sent=float(r.troops[sent[:, i], i].mean()) if k else None,
        ))
    leader_alone = np.zeros(n, dtype=bool)
    if model.leader >= 0:
        leader_alone = r.fallback & sent[:, model.leader] & (n_sending == 1)
    mean_total = float(total.mean())
    leader_share = (float(r.troops[:, model.leader].mean()) / mean_total
                    if model.leader >= 0 and mean_total > 0 else None)
    with_ = _freq(r.outcome, OUTCOMES)
    alone = _freq(r.outcome_alone, OUTCOMES)
    ends_with = _spread(r.end_day.astype(float))
    ends_alone = _spread(r.end_day_alone.astype(float))
    assert ends_with is not None and ends_alone is not None
    return CrisisSummary(
        crisis_id=model.crisis_id, title=model.title, victim=model.members[model.victim],
        aggressor=model.aggressor, threat=model.threat, trials=n,
        request=_freq(r.request, REQUEST_LEVELS), response=response,
        response_se={k: float(np.sqrt(p * (1 - p) / n)) for k, p in response.items()},
        members=members,
        p_acts_without_alliance=float(r.fallback.mean()),
        p_leader_alone=float(leader_alone.mean()),
        p_other_member_alone=float((r.fallback & (n_sending == 1) & ~leader_alone).mean()),
        p_coalition_of_willing=float((r.fallback & (n_sending >= 2)).mean()),
        p_troops_sent=float((total > 0).mean()), mean_total_troops=mean_total,
        leader_share=leader_share, first_arrival_days=_spread(r.first_arrival),
        outcome_with_alliance=with_, outcome_alone=alone,
        repelled_gain=with_["repelled"] - alone["repelled"],
        days_to_end_with_alliance=ends_with, days_to_end_alone=ends_alone,
        defender_losses_with_alliance=float(r.defender_losses.mean()),
        defender_losses_alone=float(r.defender_losses_alone.mean()),
    )
