"""Terminal tables (rich) of an ensemble summary."""

from __future__ import annotations

from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from alliancesim.results.summary import CrisisSummary, EnsembleSummary, Spread


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


def _response_table(c: CrisisSummary) -> Table:
    """The collective response with its Monte Carlo error, its parameter band and the
    base-rate benchmark."""
    t = Table(title="Collective response", title_justify="left", show_edge=False,
              pad_edge=False, expand=False)
    t.add_column("")
    for k in c.response:
        t.add_column(k, justify="right")
    t.add_row("model", *(pct(p) for p in c.response.values()))
    t.add_row("± MC error", *(f"±{100 * s:.1f}" for s in c.response_se.values()),
              style="dim")
    if c.parameter_band is not None:
        t.add_row("90% band, parameters",
                  *(f"{100 * c.parameter_band[k][0]:.0f}-{100 * c.parameter_band[k][1]:.0f}%"
                    for k in c.response))
    if c.base_rate is not None:
        t.add_row("base rate (cases, same request)", *(pct(p) for p in c.base_rate.values()),
                  style="dim")
    return t


def _band(c: CrisisSummary, key: str) -> str:
    if c.parameter_band is None:
        return ""
    lo, hi = c.parameter_band[key]
    return f" (90% band from the parameters {100 * lo:.0f}-{100 * hi:.0f}%)"


def crisis_section(c: CrisisSummary) -> Group:
    members = Table(title="Members", title_justify="left", show_edge=False, pad_edge=False)
    for col, just in [("member", "left"), ("role", "left"), ("wants mil.", "right"),
                      ("holds out", "right"), ("veto", "right"), ("sends", "right"),
                      ("troops", "right"), ("if sent", "right")]:
        members.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for m in c.members:
        victim = m.role == "victim"
        members.add_row(m.id, m.role, "-" if victim else pct(m.preferred_military),
                        "-" if victim else pct(m.holds_out), "-" if victim else pct(m.sole_veto),
                        pct(m.p_sends), troops(m.mean_troops), troops(m.mean_troops_when_sent))
    outcomes = Table(title="How it ends", title_justify="left", show_edge=False, pad_edge=False)
    outcomes.add_column("")
    for k in c.outcome_with_alliance:
        outcomes.add_column(k, justify="right")
    outcomes.add_column("median days", justify="right")
    outcomes.add_column("defender losses", justify="right")
    outcomes.add_row("with alliance", *(pct(p) for p in c.outcome_with_alliance.values()),
                     f"{c.days_to_end_with_alliance.median:g}",
                     troops(c.defender_losses_with_alliance))
    outcomes.add_row("victim alone", *(pct(p) for p in c.outcome_alone.values()),
                     f"{c.days_to_end_alone.median:g}", troops(c.defender_losses_alone))
    share = "-" if c.leader_share is None else pct(c.leader_share)
    facts = Text.assemble(
        ("Acts without the alliance: ", "bold"), pct(c.p_acts_without_alliance),
        _band(c, "acts without the alliance"),
        f"  (leader alone {pct(c.p_leader_alone)}, another member alone "
        f"{pct(c.p_other_member_alone)}, coalition of the willing "
        f"{pct(c.p_coalition_of_willing)})\n",
        ("Troops sent: ", "bold"), f"{pct(c.p_troops_sent)} of trials"
        f"{_band(c, 'troops sent')}; expected total "
        f"{troops(c.mean_total_troops)}; leader's share {share}\n",
        ("First allied troops in the victim: ", "bold"), spread(c.first_arrival_days),
        " (when troops are sent)\n",
        ("Alliance's value added: ", "bold"),
        f"P(repelled) {c.repelled_gain:+.1%} against the victim alone",
    )
    body = Group(
        _probability_row("Request by the victim", c.request),
        Text(""),
        _response_table(c),
        Text(""),
        members,
        Text(""),
        facts,
        Text(""),
        outcomes,
    )
    title = f"[bold]{c.title}[/bold]"
    sub = Text(f"{c.victim} hit by {c.aggressor}: {c.threat.replace('_', ' ')}; "
               f"{c.trials:,} trials", style="dim")
    return Group(Rule(title, align="left"), sub, Text(""), body, Text(""))


def render_summary(s: EnsembleSummary, console: Console) -> None:
    console.print(f"[bold]{s.title or s.scenario}[/bold] - {s.alliance}; {s.trials:,} trials per "
                  f"crisis, seed {s.seed} (alliancesim {s.version})")
    for c in s.crises:
        console.print(crisis_section(c))
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
    console.print("base rate: the strongest simple baseline of the hindcast, the frequency of "
                  "each response among the 17 bundled cases with the same request, mixed over "
                  "this crisis's requests.", style="dim")
