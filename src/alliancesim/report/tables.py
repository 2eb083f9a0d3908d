"""Terminal tables (rich) of an ensemble summary.

Text is text: rich reads `[...]` in a printed string, a table's title, header or cell as markup,
so a crisis titled "[/red]" would stop the printing with a MarkupError; every user string
(titles, names, variant names, paths) goes through `literal` first.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, Group
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from alliancesim.results.bands import HeldOut
from alliancesim.results.reach import record_line
from alliancesim.results.summary import (
    ASKED,
    CAP,
    FIXED,
    SHOWN_REQUESTS,
    CrisisSummary,
    EnsembleSummary,
    Spread,
    detail,
)


def literal(text: object) -> str:
    """A user's string as rich prints it literally: every `[` that could open a markup tag
    escaped (rich.markup.escape); nothing else in it is special to rich."""
    return escape(str(text))


def pct(p: float) -> str:
    if p == 0.0:
        return "0%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999 and p < 1.0:
        return ">99.9%"
    return f"{100 * p:.1f}%"


def troops(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def spread(s: Spread | None, unit: str = "days") -> str:
    if s is None:
        return "-"
    return f"{s.median:g} {unit} (10-90%: {s.p10:g}-{s.p90:g})"


def _probability_row(title: str, probs: dict[str, float]) -> Table:
    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, expand=False)
    for k in probs:
        t.add_column(k, justify="right")
    t.add_row(*(pct(p) for p in probs.values()))
    return t


# row labels short enough for an 80-column terminal (the HTML report spells them out)
MIXED = "mixed (request stage)"


def _base_rate_label(c: CrisisSummary, level: str) -> str:
    """'base: 3 CSTO cases' or 'base: 7 cases, pooled' (the base rate; the request is the
    block's)."""
    assert c.base_rates is not None
    r = c.base_rates[level]
    cases = f"{r.cases} {r.alliance + ' ' if r.alliance else ''}case{'s' if r.cases != 1 else ''}"
    return f"  base: {cases}" + ("" if r.alliance else ", pooled")


def _response_rows(t: Table, c: CrisisSummary, label: str, level: str | None,
                   last: bool) -> None:
    """One block of the response table: the forecast, its Monte Carlo error, its parameter
    band and the base rate; rungs the request rules out are '-'. level: the request the run
    fixes (None: the mixture)."""
    cap = CAP.get(level or "", 4)

    def cells(f: Callable[[str], str]) -> list[str]:
        return [f(k) if j <= cap else "-" for j, k in enumerate(c.response)]

    t.add_row(label, *cells(lambda k: pct(c.response[k])), style="bold")
    t.add_row("  ± MC error", *cells(lambda k: f"±{100 * c.response_se[k]:.1f}"),
              style="dim")
    band = c.parameter_band
    if band is not None:
        t.add_row("  90% band, parameters",
                  *cells(lambda k: f"{100 * band[k][0]:.0f}-{100 * band[k][1]:.0f}%"))
    if c.base_rate is not None and c.base_rates is not None:
        base = c.base_rate
        name = (_base_rate_label(c, level) if level is not None
                else "  base: mixed likewise")
        t.add_row(name, *cells(lambda k: pct(base[k])), style="dim", end_section=not last)
    elif not last:
        t.rows[-1].end_section = True


def _response_table(c: CrisisSummary) -> Table:
    """The collective response: given each request (the crisis run with the request fixed,
    same seed) and then mixed over the request stage, each with its Monte Carlo error, its
    parameter band and the base rate of the alliance's own cases with that request."""
    if c.by_request:
        title = f"Collective response, by what {c.victim} asks for"
    elif c.request_fixed is not None:
        title = f"Collective response: {c.victim} {FIXED[c.request_fixed]} (the scenario says so)"
    else:
        title = "Collective response"
    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, expand=False)
    t.add_column("")
    for k in c.response:
        t.add_column(k, justify="right")
    if c.by_request:
        for level in SHOWN_REQUESTS:
            if level in c.by_request:
                _response_rows(t, c.by_request[level], ASKED[level], level, last=False)
        _response_rows(t, c, MIXED, None, last=True)
    elif c.request_fixed is not None:
        _response_rows(t, c, "model", c.request_fixed, last=True)
    else:
        _response_rows(t, c, MIXED, None, last=True)
    return t


def _request_note(c: CrisisSummary, s: EnsembleSummary | None) -> Text | None:
    """What the victim asks for: fixed by the scenario, or drawn by the request stage (with
    its held-out score)."""
    if c.request_fixed is not None:
        return None
    r = c.request
    text = (f"Mixed: {c.victim}'s request drawn by the fitted request stage (no request "
            f"{pct(r['none'])}, consultations {pct(r['consultations'])}, military help "
            f"{pct(r['military'])})")
    score = None if s is None else s.request_stage
    if score is not None:
        worse = score.fitted < score.uniform
        text += (f", whose held-out log score is {score.fitted:.3f} per case against "
                 f"{score.uniform:.3f} for a uniform third"
                 + ((" (worse than chance: read the rows by request)" if c.by_request else
                     " (worse than chance: without --mixed-only, run shows the forecast by "
                     "request)") if worse else ""))
    text += "."
    return Text(text, style="dim")


def _band(c: CrisisSummary, key: str) -> str:
    """A headline's two parts of uncertainty: ± its Monte Carlo error, then its 90% band from
    the parameters (when drawn)."""
    se = c.headline_se.get(key)
    mc = "" if se is None else f"±{100 * se:.1f} MC error"
    if c.parameter_band is None:
        return f" ({mc})" if mc else ""
    lo, hi = c.parameter_band[key]
    sep = "; " if mc else ""
    return f" ({mc}{sep}90% band from the parameters {100 * lo:.0f}-{100 * hi:.0f}%)"


def crisis_section(c: CrisisSummary, s: EnsembleSummary | None = None) -> Group:
    """One crisis: the response by request (and mixed), then the members, troops and outcomes
    of the run with the request fixed at military help where the request is drawn (troops go
    only when asked for; the captions say so), else of the crisis's own run."""
    d = detail(c)
    given = f", if {c.victim} asks for military help" if d is not c else ""
    members = Table(title=f"Members{given}", title_justify="left", show_edge=False,
                    pad_edge=False)
    for col, just in [("member", "left"), ("role", "left"), ("wants mil.", "right"),
                      ("holds out", "right"), ("veto", "right"), ("sends", "right"),
                      ("troops", "right"), ("if sent", "right")]:
        members.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for m in d.members:
        votes = m.role not in ("victim", "aggressor")  # a party to a clash does not vote
        members.add_row(m.id, m.role, pct(m.preferred_military) if votes else "-",
                        pct(m.holds_out) if votes else "-", pct(m.sole_veto) if votes else "-",
                        pct(m.p_sends), troops(m.mean_troops), troops(m.mean_troops_when_sent))
    outcomes = Table(title=f"How it ends{given}", title_justify="left", show_edge=False,
                     pad_edge=False)
    outcomes.add_column("")
    for k in d.outcome_with_alliance:
        outcomes.add_column(k, justify="right")
    outcomes.add_column("median days", justify="right")
    outcomes.add_column("defender losses", justify="right")
    outcomes.add_row("with alliance", *(pct(p) for p in d.outcome_with_alliance.values()),
                     f"{d.days_to_end_with_alliance.median:g}",
                     troops(d.defender_losses_with_alliance))
    outcomes.add_row("victim alone", *(pct(p) for p in d.outcome_alone.values()),
                     f"{d.days_to_end_alone.median:g}", troops(d.defender_losses_alone))
    share = "-" if d.leader_share is None else pct(d.leader_share)
    facts = Text.assemble(
        (f"If {c.victim} asks for military help:\n", "bold") if given else "",
        ("Acts without the alliance: ", "bold"), pct(d.p_acts_without_alliance),
        _band(d, "acts without the alliance"),
        f"  (leader alone {pct(d.p_leader_alone)}, another member alone "
        f"{pct(d.p_other_member_alone)}, coalition of the willing "
        f"{pct(d.p_coalition_of_willing)})\n",
        ("Troops sent: ", "bold"), f"{pct(d.p_troops_sent)} of trials"
        f"{_band(d, 'troops sent')}; expected total "
        f"{troops(d.mean_total_troops)}; leader's share {share}\n",
        ("First allied troops in the victim: ", "bold"), spread(d.first_arrival_days),
        " (when troops are sent)\n",
        ("Alliance's value added: ", "bold"),
        f"P(repelled) {d.repelled_gain:+.1%} against the victim alone",
    )
    note = _request_note(c, s)
    body = Group(
        _response_table(c),
        *([note] if note is not None else []),
        Text(""),
        members,
        Text(""),
        facts,
        Text(""),
        outcomes,
    )
    title = f"[bold]{literal(c.title)}[/bold]"
    runs = (f"{c.trials:,} trials for each request and {c.trials:,} mixed" if c.by_request
            else f"{c.trials:,} trials")
    sub = Text(f"{c.victim} hit by {c.aggressor}: {c.threat.replace('_', ' ')}; {runs}",
               style="dim")
    outside = record_line(c.outside_record)
    return Group(Rule(title, align="left"), sub,
                 *([Text(outside, style="yellow")] if outside else []), Text(""), body, Text(""))


def render_summary(s: EnsembleSummary, console: Console) -> None:
    console.print(f"[bold]{literal(s.title or s.scenario)}[/bold] - {literal(s.alliance)}; "
                  f"{s.trials:,} trials per "
                  f"crisis, seed {s.seed} (alliancesim {s.version})")
    for c in s.crises:
        console.print(crisis_section(c, s))
    console.print(
        "wants mil.: the member's own preference is military help; holds out: the decision fell "
        "short of the request and the member did not support more; veto: had the member "
        "alone agreed, the alliance would have done more; troops: expected troops over all "
        "trials; if sent: expected troops when the member sends any. Outcomes: repelled (the "
        "aggressor broke), contained (neither side broke within the horizon), lost (the defence "
        "broke). Assumptions: docs/model.md.", style="dim")
    banded = [c for c in s.crises if c.parameter_band is not None]
    if banded:
        console.print(
            f"Parameter uncertainty: the council's and the request stage's parameters are drawn "
            f"from the calibration's posterior for every 128 trials ({banded[0].parameter_groups}"
            " draws per crisis); the probabilities are averaged over the draws, and each band is "
            "the central 90% of their spread with the Monte Carlo noise taken out. It is wide: "
            "seventeen cases do not pin the parameters down (docs/validation.md). "
            "--parameter-uncertainty off fixes them.", style="dim")
    elif any(c.parameter_groups for c in s.crises):
        console.print("Parameter uncertainty: too few trials for a band (10 draws of 512 "
                      "trials: at least 1,280 trials).", style="dim")
    else:
        console.print("Parameters fixed at their values (no parameter uncertainty): the MC "
                      "error is the only error shown.", style="dim")
    if any(c.by_request for c in s.crises):
        note = ("By request: a crisis whose request the scenario leaves open is run once more "
                "for each request with the request fixed, with the same seed and random streams "
                "(common random numbers): 'asked for ...' is the forecast given that "
                "request, which is what the historical cases score; 'mixed' draws the request "
                "by the fitted request stage.")
        score = s.request_stage
        if score is not None:
            note += (f" That stage, refitted without each of the {score.cases} bundled cases "
                     f"in turn, gives the held-out case's request a mean log score of "
                     f"{score.fitted:.3f}, against {score.uniform:.3f} for a uniform third and "
                     f"{score.frequency:.3f} for the other cases' frequency of requests "
                     "(experiments/request_fit.py).")
        console.print(note, style="dim")
    console.print(
        "base: the base rate, how often the bundled cases of the same alliance that made the same "
        "request got each response (add-one-half smoothing over the responses the request "
        "allows; '3 CSTO cases': the CSTO's 3 cases with that request); pooled: every "
        "alliance's cases with that request, where this alliance has none; mixed likewise: over "
        "the crisis's requests, as the mixture. The benchmark the model has to beat "
        "(docs/validation.md).", style="dim")
    if s.held_out is not None:
        console.print(held_out_note(s.held_out))


BASELINE_NAMES = {"alliance grants": "'the alliance grants what was asked'",
                  "alliance probit": "an ordered probit with an alliance intercept and the treaty "
                                     "scope",
                  "alliance base rate": "the alliance's own base rate within the request"}


def held_out_note(h: HeldOut) -> str:
    """What the model's forecast adds over the best baseline that knows the alliance."""
    name = BASELINE_NAMES.get(h.baseline, h.baseline)
    tied = h.low < 0.0 < h.high
    verdict = ("no more accurate than it, nor less (the interval spans 0)" if tied else
               "less accurate" if h.difference < 0 else "more accurate")
    return (f"What the model adds: held out on the {h.cases} bundled cases, its response "
            f"probabilities score {h.model:.3f} per case against {h.baseline_score:.3f} for the "
            f"best baseline that knows the alliance, {name} (difference {h.difference:+.3f}, "
            f"90% interval {h.low:+.2f} to {h.high:+.2f}): {verdict}. What it adds is the "
            "mechanism - who holds out and vetoes, whether the leader acts alone, who sends how "
            "many troops, how the crisis ends - and a forecast where the alliance has no record "
            "(docs/validation.md).")
