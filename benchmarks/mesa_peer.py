"""The peer: the flagship crisis written as a user of agent-based models would write it in Mesa
(members as agents, one model step per trial), for benchmarks/engine.py.

Same model, same inputs: each step draws the crisis's uncertain quantities from the scenario's
own distributions (one trial at a time, from the model's numpy generator), then the victim's
request, each member agent's deliberation (its latent support and preferred rung), the
decision rule with the leader's weight, the fallback, the force-generation equilibrium (each
pledge projected over its distance to the victim), the deployment (with its travel days) and
the engagement with and without the allies. The stage arithmetic that is not
agent behaviour (the decision rule, the equilibrium, the daily engagement) is the scalar
reference's (alliancesim.reference): plain Python a Mesa user would write the same way. The
random numbers differ from the engine's (its own stream), so the two agree in distribution,
not trial by trial; benchmarks/engine.py checks the distributions within sampling error.

Mesa is a benchmark-only dependency (`uv sync --group bench`; `make bench` installs it).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from alliancesim.reference import (
    CAP_BY_REQUEST,
    MILITARY,
    VICTIM_VOTE,
    Crisis,
    contributions,
    decide,
    fight,
    read_crisis,
)
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.distributions import is_uncertain, point
from alliancesim.scenario.schema import Scenario

FEATURES = ("exposure", "affinity_victim", "affinity_aggressor", "leader_stake", "in_scope",
            "cost", "is_aggressor")


class Member(mesa.Agent):
    """An alliance member: its constant features, and each trial's support and preferred rung."""

    def __init__(self, model: CrisisModel, index: int, code: str) -> None:
        super().__init__(model)
        c = model.crisis
        self.index, self.code = index, code
        self.constant = {"exposure": c.exposure[index], "affinity_victim": c.affinity_victim[index],
                         "affinity_aggressor": c.affinity_aggressor[index],
                         "leader_stake": c.leader_stake[index], "in_scope": c.in_scope,
                         "is_aggressor": c.is_aggressor[index]}
        self.support = 0.0
        self.preferred = 0

    def deliberate(self) -> None:
        m = self.model
        x = m.x
        mu = x["council.intercept"] + x["council.alliance_intercept"] + sum(
            x[f"council.coefficients.{f}"] * (m.cost if f == "cost" else self.constant[f])
            for f in FEATURES)
        e = m.rng.standard_normal()
        rho = x["council.shock_correlation"]
        eps = e if m.crisis.noise == "independent" else math.sqrt(rho) * m.shock + math.sqrt(
            1.0 - rho) * e
        self.support = mu + eps
        self.preferred = sum(1 for t in m.tau if self.support > t)


class CrisisModel(mesa.Model):
    """One crisis; each step is one trial, its outcome appended to self.outcomes."""

    def __init__(self, scenario: Scenario, index: int = 0, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.crisis: Crisis = read_crisis(scenario, index)
        compiled = compile_crisis(scenario, index)
        self.uncertain = [q for q in compiled.quantities if is_uncertain(q.value)]
        self.fixed = {q.name: float(np.clip(point(q.value), q.low, q.high))
                      for q in compiled.quantities if not is_uncertain(q.value)}
        self.members = [Member(self, i, m) for i, m in enumerate(self.crisis.members)]
        self.x: dict[str, float] = {}
        self.tau: list[float] = []
        self.cost = 0.0
        self.shock = 0.0
        self.outcomes: list[dict[str, Any]] = []

    def draw_inputs(self) -> None:
        x = dict(self.fixed)
        for q in self.uncertain:
            x[q.name] = float(np.clip(q.value.sample(self.rng, 1)[0], q.low, q.high))
        self.x = x

    def step(self) -> None:
        self.draw_inputs()
        c, x, members = self.crisis, self.x, self.members
        v = c.victim
        troops = [x[f"troops.{m.code}"] for m in members]
        S = x["aggressor_strength"] if "aggressor_strength" in x else max(
            x["aggressor_troops"] * x["aggressor_commitment"], 1.0)
        D0 = x["defender_commitment"] * troops[v]
        # the victim's request
        if c.request_fixed >= 0:
            req = c.request_fixed
        else:
            r = (x["request.intercept"] + x["request.threat"] * math.log(max(S, 1e-9)
                                                                        / max(D0, 1e-9))
                 + x["request.trust_weight"] * (x["trust"] - 0.5) + self.rng.standard_normal())
            req = int(r > x["request.cutpoints.1"]) + int(r > x["request.cutpoints.2"])
        cap = CAP_BY_REQUEST[req]
        # the council: every member deliberates
        self.cost = math.log1p(S / max(sum(troops) - troops[v], 1.0))
        self.tau = sorted(x[f"council.cutpoints.{k}"] for k in range(1, 5))
        self.shock = self.rng.standard_normal()
        self.agents.do("deliberate")
        preferred = [m.preferred for m in members]
        preferred[v] = VICTIM_VOTE[req]
        rule = c.rule
        if c.leader >= 0 and rule != "leader" and self.rng.random() < x["council.leader_weight"]:
            rule = "leader"
        rung = min(decide(preferred, rule, c.quota, c.leader, c.consensus_from), cap)
        # the fallback: members tied to the victim act alone
        participant = []
        for i, m in enumerate(members):
            willing = preferred[i] == MILITARY and i != v and i != c.aggressor_member
            if rung == MILITARY:
                participant.append(willing)
            else:
                tied = c.tie_to_victim[i] > 0 and c.tie_to_victim[i] > c.tie_to_aggressor[i]
                clears = m.support > self.tau[3] + x["council.unilateral_margin"]
                participant.append(cap == MILITARY and willing and tied and clears)
        # force generation
        base = [x[f"base_in_victim.{m.code}"] for m in members]
        distance = c.distance  # km to the victim (0: contiguous or based there; issue 19)
        caps = [(x[f"standing_forces.{m.code}"] / (1.0 + distance[i]
                                                    / x["geography.half_strength_km"])
                 + base[i]) if participant[i] else 0.0 for i, m in enumerate(members)]
        stake = [max(0.0, c.exposure[i] + max(c.affinity_victim[i], 0.0)
                     - max(c.affinity_aggressor[i], 0.0) + c.leader_stake[i])
                 for i in range(len(members))]
        V = [x["forces.valuation"] * stake[i] * troops[i] / x["forces.reference_army"]
             for i in range(len(members))]
        sent = (contributions(V, S, x["forces.private_benefit"], x["forces.token_scale"], caps)
                if any(participant) else [0.0] * len(members))
        # deployment and engagement
        delay = (x["decision_delay_days"] if rung == MILITARY
                 else x["deployment.unilateral_delay_days"])
        quality = [x[f"quality.{m.code}"] for m in members]
        arrivals = []
        for i, m in enumerate(members):
            arrive = math.ceil(delay + x[f"readiness_days.{m.code}"]
                               + x["deployment.transport_days"]
                               + distance[i] / x["geography.km_per_day"])
            on_day0 = min(sent[i], base[i])
            factor = quality[i] / quality[v]
            arrivals += [(0, on_day0 * factor), (arrive, (sent[i] - on_day0) * factor)]
        args = (S, D0, x["aggressor_quality"], quality[v], x["engagement.attrition"],
                x["engagement.aggressor_break"], x["engagement.defender_break_ratio"],
                x["engagement.irregular_efficiency"], c.horizon_days, c.irregular)
        self.outcomes.append({"rung": rung, "troops": sum(sent),
                              "outcome": fight(*args, arrivals)[0],
                              "outcome_alone": fight(*args, [])[0]})


def run_mesa(scenario: Scenario, trials: int, seed: int = 0) -> list[dict[str, Any]]:
    """`trials` steps of the Mesa model of the scenario's first crisis."""
    model = CrisisModel(scenario, 0, seed)
    for _ in range(trials):
        model.step()
    return model.outcomes
