"""Specifications of the council's fit: the calibrated one, its ablations, and the candidates
of the nested selection.

A specification says how the member model is fitted to training cases: the prior (large-N or
judgement, its width), parameters held at a value instead of fitted (`pin`), whether each
alliance gets its own intercept, and the decision rule's `consensus_from` (the alliance's own,
from missions up for the CSTO and NATO, or consensus on every rung). The leave-one-out hindcast
fits each specification on the cases other than the held-out one (experiments/hindcast.py), so
that what each component earns is measured out of sample: the ablation table of
docs/validation.md. Choices made after seeing scores (prior width, the leader's weight, the
common shock, the intercepts, consensus_from) are the candidates of the nested selection
(hindcast.nested_leave_one_out): each is chosen by an inner leave-one-out on the training cases
alone, never on the case it forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from alliancesim.experiments.calibration import DEFAULT_MODEL, DEFAULT_PINS, Fit, fit
from alliancesim.model.council import CaseDesign, CouncilModel
from alliancesim.model.council.rules import DecisionRule

MEMBER_FEATURES = ("exposure", "affinity_victim", "affinity_aggressor", "leader_stake")


@dataclass(frozen=True)
class Spec:
    name: str
    what: str
    prior: str = "large-n"
    prior_sd: float = 1.0
    pin: tuple[tuple[str, float], ...] = DEFAULT_PINS  # every parameter held, replacing
    # the default model's pins
    intercepts: bool = True
    consensus_everywhere: bool = False  # consensus from the statement up (not from missions)
    outside_records: bool = True  # fit on the records of acting outside the alliance

    def designs(self, designs: list[CaseDesign]) -> list[CaseDesign]:
        """The cases as this specification sees them (its decision rule, its observations)."""
        out = []
        for d in designs:
            if self.consensus_everywhere and d.rule.name == "consensus":
                d = replace(d, rule=DecisionRule.of("consensus", d.rule.n, leader=d.rule.leader,
                                                    consensus_from=1))
            if not self.outside_records:
                d = replace(d, outside=-1)
            out.append(d)
        return out

    def fit(self, train: list[CaseDesign], council: CouncilModel = DEFAULT_MODEL,
            rule: str | None = None) -> Fit:
        return fit(self.designs(train), self.prior_sd, rule=rule, standard_errors=False,
                   model=council, prior=self.prior, pin=dict(self.pin),
                   intercepts=self.intercepts)

    def held(self, d: CaseDesign) -> CaseDesign:
        """The held-out case under this specification's rule (its observation is not used)."""
        return self.designs([d])[0]


SHOCK_OFF = ("shock_correlation", 0.0)
HALF = ("leader_weight", 0.5)

MODEL = Spec("model", "as calibrated (0.4): large-N prior (sd 1), alliance intercepts, member "
             "features, treaty scope, the leader's weight held at 0.5, no common shock",
             pin=DEFAULT_PINS)

ABLATION: tuple[Spec, ...] = (
    MODEL,
    Spec("no member features", "exposure, the two affinities and the leader's stake held at 0",
         pin=(*DEFAULT_PINS, *((f"coefficients.{f}", 0.0) for f in MEMBER_FEATURES))),
    Spec("no treaty scope", "the treaty-scope coefficient held at 0",
         pin=(*DEFAULT_PINS, ("coefficients.in_scope", 0.0))),
    Spec("no alliance intercepts", "one intercept for every alliance", pin=DEFAULT_PINS,
         intercepts=False),
    Spec("leader's weight 0", "the alliance's rule alone decides (omega = 0)",
         pin=(SHOCK_OFF, ("leader_weight", 0.0))),
    Spec("leader's weight 1", "the leader's preference alone decides (omega = 1)",
         pin=(SHOCK_OFF, ("leader_weight", 1.0))),
    Spec("leader's weight fitted", "omega fitted (prior 0.5, sd 1 on the logit), as in 0.3",
         pin=(SHOCK_OFF,)),
    Spec("common shock fitted", "members' moods share a shock, rho fitted (prior 0.3), as in 0.3",
         pin=(HALF,)),
    Spec("0.3 specification", "the leader's weight and the common shock both fitted", pin=()),
    Spec("judgement prior", "every coefficient's prior centred on the 0.1 judgement (no "
         "large-N prior)", prior="judgement", pin=DEFAULT_PINS),
    Spec("prior sd 0.5", "a tighter prior (sd 0.5 on the judgement part)", prior_sd=0.5,
         pin=DEFAULT_PINS),
    Spec("prior sd 2", "a looser prior (sd 2 on the judgement part)", prior_sd=2.0,
         pin=DEFAULT_PINS),
    Spec("consensus on every rung", "consensus from statements up (the CSTO's and NATO's "
         "treaties make consultations a right of any member: consensus_from mission)",
         pin=DEFAULT_PINS, consensus_everywhere=True),
    Spec("no records of acting alone", "fitted on the rungs alone (the unilateral margin "
         "stays at its prior)", pin=DEFAULT_PINS, outside_records=False),
)

# the choices made after seeing scores (issue 18): each evaluated inside the leave-one-out loop
NESTED: tuple[Spec, ...] = tuple(s for s in ABLATION if s.name in (
    "model", "prior sd 0.5", "prior sd 2", "leader's weight 0", "leader's weight fitted",
    "common shock fitted", "0.3 specification", "no alliance intercepts",
    "consensus on every rung"))


def by_name(name: str) -> Spec:
    for s in ABLATION:
        if s.name == name:
            return s
    raise ValueError(f"unknown specification {name!r} (valid: "
                     f"{', '.join(s.name for s in ABLATION)})")
