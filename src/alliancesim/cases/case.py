"""Historical cases: a crisis as it was, the alliance's observed response, and the sources.

A case file is data (src/alliancesim/data/cases/, or any folder a user gives): the crisis with
every feature coded from what was known before the decision, a reason for each coded value, the
observed collective rung and, where recorded, the contingents. It converts to a one-crisis
scenario, so a case can be run like any scenario.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from alliancesim.data import bundled
from alliancesim.model.request import REQUEST_CAP
from alliancesim.scenario.compile import REQUEST_LEVELS
from alliancesim.scenario.errors import Problem, ScenarioError, one_line
from alliancesim.scenario.loading import (
    bundled_affinity_years,
    bundled_alliance,
    load_scenario,
    read_text,
    resolve,
    validate,
)
from alliancesim.scenario.schema import (
    RUNGS,
    Actor,
    ActorId,
    AffinityPair,
    Alliance,
    Crisis,
    GeoPair,
    Rung,
    Scenario,
    _Strict,
)
from alliancesim.scenario.yaml_lines import line_of, parse_yaml

Decision = Literal["collective_military", "fact_finding", "consultation_only", "declined",
                   "no_request"]


class Contribution(_Strict):
    """What one member sent: troops, aircraft, ships (any of them; each a count)."""

    troops: int | None = Field(default=None, ge=0)
    aircraft: int | None = Field(default=None, ge=0)
    ships: int | None = Field(default=None, ge=0)
    source: str = ""

    @model_validator(mode="after")
    def _some(self) -> Contribution:
        if self.troops is None and self.aircraft is None and self.ships is None:
            raise ValueError("a contribution gives troops, aircraft or ships")
        return self


def troops_of(value: int | str | Contribution | None) -> int | None:
    """The troops of a recorded contribution (None: unconfirmed, or none recorded)."""
    if isinstance(value, Contribution):
        return value.troops
    return value if isinstance(value, int) else None


def contribution_text(value: int | str | Contribution) -> str:
    """A recorded contribution in words: '1,200', '?' (unconfirmed), '6 aircraft, 2 ships'."""
    if isinstance(value, Contribution):
        parts = [f"{n:,} {what}" for what, n in (("troops", value.troops),
                                                 ("aircraft", value.aircraft),
                                                 ("ships", value.ships)) if n is not None]
        return ", ".join(parts)
    return "?" if value == "unconfirmed" else f"{value:,}"


class Observed(_Strict):
    decision: Decision
    rung: Rung
    days_to_decision: int | Literal["unconfirmed"] | None = None
    contributions: dict[str, int | Literal["unconfirmed"] | Contribution] = Field(
        default_factory=dict,
        description="by member: troops (a count), 'unconfirmed', or {troops, aircraft, ships}")
    contributions_total: int | None = None
    contributions_notes: str = ""
    outside_military_action: bool | None = None
    outside_action_notes: str = ""
    notes: str = ""


class Case(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    title: str
    date: datetime.date | str
    alliance: str | Alliance = Field(
        description="a bundled alliance (csto, nato) or the alliance inline, with its sources "
                    "(e.g. the alliance block `alliancesim data build` writes)")
    members: list[ActorId] | None = None
    membership_source: str = ""
    actors: dict[ActorId, Actor] = Field(
        default_factory=dict, description="actors the bundled data lack, or override, by id")
    geography: list[GeoPair] = Field(
        default_factory=list, description="contiguity and distance of pairs the bundled "
                                          "geography lacks (docs/scenario.md)")
    requester: str
    adversary: str
    threat_recorded: str = ""
    article_invoked: str = ""
    crisis: Crisis
    affinity_data: list[AffinityPair] = Field(
        default_factory=list,
        description="affinities from a dataset, each reason naming the dataset and its "
                    "release: used as they are, never relabelled")
    affinity: list[AffinityPair] = Field(
        default_factory=list,
        description="JUDGEMENT overrides by a written rule (docs/coding.md, Affinity A2-A3)")
    aggressor_affinity: float | None = Field(default=None, ge=-1.0, le=1.0)
    coding: dict[str, str] = Field(default_factory=dict)
    observed: Observed
    sources: list[str] = Field(min_length=1)

    @field_validator("date")
    @classmethod
    def _check_date(cls, value: datetime.date | str) -> datetime.date | str:
        """A calendar date, or a year and month (YYYY-MM) when the day is not known."""
        if isinstance(value, datetime.date):
            return value
        try:
            datetime.datetime.strptime(value, "%Y-%m")
        except ValueError:
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not a date: give YYYY-MM-DD, or YYYY-MM when "
                                 "the day is not known") from None
        return value

    @property
    def alliance_id(self) -> str:
        """The alliance's id: the bundled name, or the inline alliance's id."""
        return self.alliance if isinstance(self.alliance, str) else self.alliance.id

    @model_validator(mode="after")
    def _check(self) -> Case:
        blank = [f"{p.a}-{p.b}" for p in self.affinity_data if not p.reason.strip()]
        if blank:
            raise ValueError(f"affinity_data pairs need their dataset in `reason` (missing: "
                             f"{', '.join(blank)}); a judgement goes under affinity:")
        if self.crisis.request == "auto":
            raise ValueError("a case fixes the request the victim made (none, consultations or "
                             "military), not auto: the hindcast predicts the response to it")
        cap = int(REQUEST_CAP[REQUEST_LEVELS.index(self.crisis.request)])
        rung = RUNGS.index(self.observed.rung.value)
        if rung > cap:
            raise ValueError(f"observed rung '{self.observed.rung.value}' is impossible after a "
                             f"request for '{self.crisis.request}' (at most '{RUNGS[cap]}')")
        return self

    @field_validator("observed")
    @classmethod
    def _check_outside(cls, observed: Observed, info: ValidationInfo) -> Observed:
        crisis = info.data.get("crisis")
        if observed.outside_military_action is None or crisis is None:
            return observed
        if crisis.request != "military" or observed.rung.value == "military":
            raise ValueError(
                "outside_military_action is coded only when the victim asked for military "
                "help and the alliance decided less (where the model's fallback stage can "
                f"act); here the request is '{crisis.request}' and the rung "
                f"'{observed.rung.value}': remove it or set it to null")
        if not observed.outside_action_notes.strip():
            raise ValueError("outside_military_action needs outside_action_notes: what was done "
                             "outside the alliance, with its source")
        return observed

    @property
    def observed_outside(self) -> int:
        """1 / 0: a member did / did not send troops outside the alliance; -1 not coded."""
        o = self.observed.outside_military_action
        return -1 if o is None else int(o)

    @property
    def observed_rung(self) -> int:
        return RUNGS.index(self.observed.rung.value)

    @property
    def year(self) -> str:
        return str(self.date)[:4]

    @property
    def affinity_year(self) -> int:
        """The year whose affinities the case uses: the year before it (known beforehand)."""
        return int(self.year) - 1


def _judgement(reason: str) -> str:
    return reason if reason.startswith("JUDGEMENT") else f"JUDGEMENT (case): {reason}"


def to_scenario(case: Case) -> Scenario:
    """The case as a resolved one-crisis scenario (membership at the time, case affinities)."""
    alliance = (bundled_alliance(case.alliance) if isinstance(case.alliance, str)
                else case.alliance)
    if case.members is not None:
        members = list(case.members)
        data = alliance.model_dump(mode="json", by_alias=True)
        data.update({
            "members": members,
            "leader": alliance.leader if alliance.leader in members else None,
            "standing_forces": {k: v for k, v in data["standing_forces"].items()
                                if k in members},
            "bases": [b for b in data["bases"] if b["owner"] in members],
        })
        if alliance.decision_rule.rule == "leader" and data["leader"] is None:
            data["decision_rule"] = {"rule": "consensus"}
        try:
            alliance = Alliance.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError([Problem(case.id, "members", one_line(e["msg"]))
                                 for e in exc.errors()]) from None
    # Affinities (docs/coding.md, "Affinity"): the members' affinity with the victim and the
    # aggressor is the UN ideal-point figure of the year before the case (affinity_year, from
    # data/affinity_years.yaml); the case's own pairs are JUDGEMENT overrides and win;
    # aggressor_affinity covers only members the data have no figure for (non-state
    # aggressors); anything else keeps the bundled judgement (data/affinity.yaml).
    year = case.affinity_year
    pairs = [*case.affinity_data,
             *(p.model_copy(update={"reason": _judgement(p.reason)}) for p in case.affinity)]
    if case.aggressor_affinity is not None:
        listed = {frozenset((p.a, p.b)) for p in pairs}
        listed |= {frozenset((p.a, p.b)) for p in bundled_affinity_years().get(year, [])}
        pairs += [AffinityPair(a=m, b=case.crisis.aggressor, value=case.aggressor_affinity,
                               reason=_judgement("case: aggressor_affinity (no data figure)"))
                  for m in alliance.members
                  if m != case.crisis.aggressor and frozenset((m, case.crisis.aggressor))
                  not in listed]
    try:
        scenario = Scenario(name=case.id, title=case.title, alliance=alliance, affinity=pairs,
                            affinity_year=year, crises=[case.crisis], actors=case.actors,
                            geography=case.geography)
    except ValidationError as exc:
        raise ScenarioError([Problem(case.id, ".".join(str(x) for x in e["loc"]),
                                     one_line(e["msg"])) for e in exc.errors()]) from None
    return resolve(scenario, case.id)


def case_names(folder: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (folder or bundled.CASES).glob("*.yaml"))


def case_path(name: str, folder: Path | None = None) -> Path:
    return (folder or bundled.CASES) / f"{name}.yaml"


def load_case(path: Path) -> Case:
    """Parse and validate a case file, with line-precise errors; check that its ids resolve."""
    source = str(path)
    data, lines = parse_yaml(read_text(path), source)
    case = validate(Case, data, lines, source)
    if isinstance(case.alliance, str) and case.alliance not in bundled.alliance_names():
        raise ScenarioError([Problem(source, "alliance", f"unknown alliance '{case.alliance}' "
                                     f"(bundled: {', '.join(bundled.alliance_names())}; or "
                                     "give the alliance inline)",
                                     line_of(lines, ("alliance",)))])
    try:
        to_scenario(case)
    except ScenarioError as exc:  # re-anchor problems on the case file
        raise ScenarioError([Problem(source, p.field, p.message,
                                     line_of(lines, ("crisis",))) for p in exc.problems]) from None
    return case


def load_cases(folder: Path | None = None) -> list[Case]:
    """Every case in a folder (default: the bundled cases), in file-name order; all problems of
    all files are reported together."""
    folder = folder or bundled.CASES
    if not folder.is_dir():
        raise ScenarioError([Problem(str(folder), "", "no such folder of case files")])
    cases, problems = [], []
    for name in case_names(folder):
        try:
            cases.append(load_case(case_path(name, folder)))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    if not cases:
        raise ScenarioError([Problem(str(folder), "", "no case files (*.yaml) in this folder")])
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ScenarioError([Problem(str(folder), "", f"case ids repeated: {', '.join(dup)}")])
    return cases


def load_case_sets(entries: list[str | Path]) -> list[Case]:
    """The cases of several folders together, in the order given: each entry a folder of case
    files or the name of a bundled set (`bundled`: the 17 of the CSTO and NATO; `beyond`: the
    cases of other alliances frozen in issue 20); an existing folder wins over a name. A case
    id in two of them is refused."""
    cases: list[Case] = []
    for entry in entries:
        folder = Path(entry)
        if not folder.is_dir() and str(entry) in bundled.CASE_SETS:
            folder = bundled.CASE_SETS[str(entry)]
        elif not folder.is_dir():
            raise ScenarioError([Problem(str(entry), "", "no such folder of case files (nor a "
                                         "bundled set: " + ", ".join(bundled.CASE_SETS) + ")")])
        cases.extend(load_cases(folder))
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ScenarioError([Problem(", ".join(map(str, entries)), "",
                                     f"case ids in more than one folder: {', '.join(dup)}")])
    return cases


def load_scenario_or_case(path_or_name: str | Path) -> Scenario:
    """A scenario file or bundled scenario, or a historical case (bundled id or case file) as
    a one-crisis scenario."""
    name = str(path_or_name)
    if name in bundled.case_names() and name not in bundled.scenario_names():
        return to_scenario(load_case(bundled.case_path(name)))
    p = Path(path_or_name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        data, _ = parse_yaml(read_text(p), str(p))
        if isinstance(data, dict) and "observed" in data and "crisis" in data:
            return to_scenario(load_case(p))
    return load_scenario(path_or_name)
