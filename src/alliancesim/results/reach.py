"""How far the record reaches: where a crisis lies outside what the calibration's cases span.

The council's parameters were fitted to the bundled historical cases (data/cases/, by
experiments/calibration.py into data/calibrated.yaml). A forecast for a crisis unlike any of
them rests on the model's form, not on the record: it extrapolates. `beyond_record` lists the
ways a compiled crisis does, each an `Extrapolation`; `record_line` says them in one line. The
rules, against `span()` (the cases compiled and their features built by the functions the
engine and the calibration use: cases.point_features):

1. **alliance** — the alliance has no case. Its alliance intercept (how willing its members
   are beyond their features) was not fitted: under parameter uncertainty it is drawn from the
   prior N(centre, sd) (engine.parameter_draws: the scenario's value, 0 unless set, and the
   posterior's alliance_prior_sd), otherwise it is the scenario's value as given.
2. **threat** — the threat type is judged against the alliance's own cases: none of them met
   it (e.g. the CSTO and an insurgency, seen only in NATO's cases). An alliance without cases
   borrows the pooled record, which reaches a threat only where the cases of two or more
   alliances met it: where only one alliance did (internal unrest: the CSTO's cases alone),
   the model's reading of that threat cannot be told apart from that alliance's own habits.
3. **request** — a request the scenario fixes, by the same rule as the threat (a drawn request,
   `request: auto`, is not judged: its rows by request carry their own base-rate labels).
4. **rule** — the decision rule (with its threshold, and the rung from which consensus applies)
   is none of the cases' rules: the record never saw a council decide that way.
5. **members** — the number of members is outside the cases' range (6 to 30 in the bundled
   cases): a rule's arithmetic over more (or fewer) voters than were ever observed.
6. **feature** — a voting member's council feature (every member but the victim, whose own
   preference no rule reads) lies beyond the span of that feature over every case's voting
   members, by more than MARGIN of the span's width (so that an affinity of 0.998 against
   the cases' 0.997 is not flagged). The features are taken at the quantities' point values
   (the cost at the central aggressor strength and troops), as the cases' are. The span is
   pooled over the alliances, as the coefficients are.

The record is the bundled cases, which the bundled calibration was fitted on; it is built once
per process (loading and compiling seventeen cases takes about half a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from alliancesim.cases import load_cases, point_features, to_scenario
from alliancesim.results.bands import short_name
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis, compile_crisis
from alliancesim.scenario.distributions import is_uncertain, point
from alliancesim.scenario.loading import bundled_alliance
from alliancesim.scenario.schema import COUNCIL_FEATURES, RUNGS

MARGIN = 0.05  # a feature is beyond the span when outside it by more than this share of its width
SHOWN = 4  # clauses shown in the line before "and N more"

Kind = Literal["alliance", "threat", "request", "rule", "members", "feature"]


class Extrapolation(BaseModel):
    """One way a crisis lies outside the record. `text` is the clause the line shows; the other
    fields say the same for machines (None where they do not apply)."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    text: str
    feature: str | None = None  # kind feature: the council feature (COUNCIL_FEATURES)
    member: str | None = None  # kind feature: the member; None for a feature of the crisis
    value: float | None = None  # the crisis's value (features, the number of members)
    low: float | None = None  # the cases' range of it
    high: float | None = None
    seen_in: list[str] | None = None  # threat, request: the alliances whose cases met it


@dataclass(frozen=True)
class RecordSpan:
    """What the bundled cases span (see the module doc)."""

    cases: dict[str, int]  # alliance id -> its number of cases
    names: dict[str, str]  # alliance id -> its short name (CSTO, NATO)
    threats: dict[str, frozenset[str]]  # threat type -> the alliances whose cases met it
    requests: dict[str, frozenset[str]]  # request level -> the alliances whose cases made it
    rules: frozenset[str]  # the decision rules the cases were decided under (rule_label)
    members: tuple[int, int]  # the fewest and the most members of any case
    features: dict[str, tuple[float, float]]  # feature -> its range over the voting members


# the council features that are the same for every member: named without a member
CRISIS_FEATURES = ("in_scope", "cost")


def rule_label(model: CompiledCrisis) -> str:
    """The decision rule in words: 'consensus from mission', 'qualified_majority 0.667', ..."""
    if model.rule == "qualified_majority":
        return f"qualified_majority {model.threshold:g}"
    if model.rule == "consensus":
        return f"consensus from {RUNGS[model.consensus_from]}"
    return model.rule


def voting_features(model: CompiledCrisis) -> tuple[list[str], np.ndarray]:
    """The voting members (every member but the victim) and their council features (V, K) at
    the point values, in the order of COUNCIL_FEATURES."""
    x = point_features(model)
    keep = [i for i in range(model.n_members) if i != model.victim]
    return [model.members[i] for i in keep], x[keep]


def span_of(models: list[CompiledCrisis]) -> RecordSpan:
    """What a list of compiled one-crisis cases spans."""
    if not models:
        raise ValueError("the record needs at least one case")
    cases: dict[str, int] = {}
    threats: dict[str, set[str]] = {}
    requests: dict[str, set[str]] = {}
    rows = []
    for m in models:
        cases[m.alliance] = cases.get(m.alliance, 0) + 1
        threats.setdefault(m.threat, set()).add(m.alliance)
        if m.request_fixed >= 0:
            requests.setdefault(REQUEST_LEVELS[m.request_fixed], set()).add(m.alliance)
        rows.append(voting_features(m)[1])
    x = np.concatenate(rows)
    return RecordSpan(
        cases=cases, names={a: short_name(bundled_alliance(a)) for a in cases},
        threats={k: frozenset(v) for k, v in threats.items()},
        requests={k: frozenset(v) for k, v in requests.items()},
        rules=frozenset(rule_label(m) for m in models),
        members=(min(m.n_members for m in models), max(m.n_members for m in models)),
        features={f: (float(x[:, k].min()), float(x[:, k].max()))
                  for k, f in enumerate(COUNCIL_FEATURES)})


@cache
def span() -> RecordSpan:
    """What the bundled cases span (built once per process)."""
    return span_of([compile_crisis(to_scenario(c), 0) for c in load_cases()])


def _n(x: float) -> str:
    return f"{x:.3g}"


def _whose(alliances: frozenset[str], record: RecordSpan) -> str:
    names = sorted(record.names.get(a, a) for a in alliances)
    return " and ".join(f"{n}'s" for n in names)


def _intercept(model: CompiledCrisis) -> str:
    """Where an alliance without cases takes its intercept from (engine.parameter_draws)."""
    q = next(q for q in model.quantities if q.name == "council.alliance_intercept")
    if is_uncertain(q.value):
        return "its intercept is the scenario's distribution, not fitted"
    centre = point(q.value)
    if model.posterior is not None and model.alliance not in model.posterior.alliances:
        return (f"its intercept is drawn from the prior N({_n(centre)}, "
                f"{_n(model.posterior.alliance_prior_sd)})")
    return f"its intercept is the scenario's {_n(centre)}, not fitted"


def _unmet(what: str, value: str, alliance: str, seen: frozenset[str], record: RecordSpan
           ) -> Extrapolation | None:
    """The threat or request rule (module doc, 2 and 3)."""
    own = alliance in record.cases
    if alliance in seen or (not own and len(seen) >= 2):
        return None
    label = record.names.get(alliance, f"'{alliance}'")
    if not seen:
        text = f"no case with {what} {value}"
    elif own:
        text = f"no {label} case with {what} {value} (only {_whose(seen, record)})"
    else:
        text = f"{what} {value} seen only in {_whose(seen, record)} cases"
    return Extrapolation(kind="threat" if what == "threat" else "request", text=text,
                         seen_in=sorted(seen))


def beyond_record(model: CompiledCrisis, record: RecordSpan | None = None
                  ) -> list[Extrapolation]:
    """The ways a compiled crisis lies outside the record (the module doc's rules, in order;
    features by feature, then by how far beyond the span). Empty: within the record."""
    record = span() if record is None else record
    out: list[Extrapolation] = []
    if model.alliance not in record.cases:
        out.append(Extrapolation(
            kind="alliance",
            text=f"alliance '{model.alliance}' has no cases ({_intercept(model)})"))
    threat = _unmet("threat", model.threat, model.alliance,
                    record.threats.get(model.threat, frozenset()), record)
    if threat is not None:
        out.append(threat)
    if model.request_fixed >= 0:
        level = REQUEST_LEVELS[model.request_fixed]
        request = _unmet("request", level, model.alliance,
                         record.requests.get(level, frozenset()), record)
        if request is not None:
            out.append(request)
    rule = rule_label(model)
    if rule not in record.rules:
        cases = ", ".join(sorted(record.rules))
        out.append(Extrapolation(kind="rule", text=f"decision rule {rule} (the cases: {cases})"))
    lo, hi = record.members
    if not lo <= model.n_members <= hi:
        out.append(Extrapolation(
            kind="members", text=f"{model.n_members} members (the cases: {lo}-{hi})",
            value=float(model.n_members), low=float(lo), high=float(hi)))
    voters, x = voting_features(model)
    for k, f in enumerate(COUNCIL_FEATURES):
        lo_f, hi_f = record.features[f]
        margin = MARGIN * (hi_f - lo_f)
        beyond = [(max(lo_f - v, v - hi_f), m, v) for m, v in zip(voters, x[:, k], strict=True)
                  if v < lo_f - margin or v > hi_f + margin]
        if f in CRISIS_FEATURES:
            beyond = beyond[:1]
        for _, m, v in sorted(beyond, key=lambda b: -b[0]):
            member = None if f in CRISIS_FEATURES else m
            who = f if member is None else f"{f} of {member}"
            out.append(Extrapolation(
                kind="feature", feature=f, member=member, value=float(v), low=lo_f, high=hi_f,
                text=f"{who} {_n(float(v))} beyond the cases' {_n(lo_f)} to {_n(hi_f)}"))
    return out


def record_line(reasons: list[Extrapolation], shown: int = SHOWN) -> str | None:
    """The reasons in one line (None when there are none): a feature's members in one clause
    (the farthest named), the first `shown` clauses, then how many more."""
    if not reasons:
        return None
    clauses: list[list[Extrapolation]] = []  # one clause: one reason, or one feature's members
    by_feature: dict[str, list[Extrapolation]] = {}
    for r in reasons:
        if r.kind == "feature" and r.feature is not None:
            if r.feature not in by_feature:
                by_feature[r.feature] = []
                clauses.append(by_feature[r.feature])
            by_feature[r.feature].append(r)
        else:
            clauses.append([r])
    texts = []
    for rs in clauses:
        others = len(rs) - 1
        texts.append(rs[0].text if not others else rs[0].text.replace(
            " beyond", f" (and {others} other member{'s' if others > 1 else ''}) beyond", 1))
    more = len(texts) - shown
    body = "; ".join(texts[:shown]) + (f"; and {more} more" if more > 0 else "")
    return f"Outside the record: {body} - the forecast extrapolates."
