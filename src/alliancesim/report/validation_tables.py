"""Terminal tables of the hindcast."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from alliancesim.model.council.eum_likelihood import FORECAST as EUM
from alliancesim.report.tables import pct
from alliancesim.results.validation import TOKEN_TROOPS, HindcastReport, ScoreReport
from alliancesim.scenario.schema import RUNGS

SHORT = {"none": "none", "statement": "stmt", "consultations": "cons", "mission": "miss",
         "military": "mil", "material": "mat"}


def _yn(flag: bool | None) -> str:
    return "?" if flag is None else ("yes" if flag else "no")


def render_hindcast(r: HindcastReport, console: Console) -> None:
    per_case = Table(title="Leave-one-out forecasts (each case predicted by a fit on the others; "
                     "given the request actually made)", title_justify="left",
                     box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    per_case.add_column("case", overflow="fold", min_width=16)
    per_case.add_column("asked", no_wrap=True)
    per_case.add_column("observed", no_wrap=True)
    for rung in RUNGS:
        per_case.add_column(SHORT[rung], justify="right", no_wrap=True)
    for c in r.cases:
        cells = [pct(p) if i <= 4 else "" for i, p in enumerate(c.model)]
        obs = RUNGS.index(c.observed)
        cells[obs] = f"[bold]{cells[obs]}*[/bold]"
        per_case.add_row(c.case_id, SHORT.get(c.request, c.request), SHORT[c.observed], *cells)
    console.print(per_case)
    console.print("Forecasts by the model; * (bold): the observed rung. stmt: statement; cons: "
                  "consultations; miss: mission; mil: military help.", style="dim")

    groups = [("all", len(r.cases), r.log_score, r.brier)] + [
        (name, g.cases, g.log_score, g.brier) for name, g in r.by_alliance.items()]
    scores = Table(title=f"Scores (mean per case; prior sd {r.prior_sd:g}): log score, higher "
                   "is better / Brier score, lower is better", title_justify="left")
    scores.add_column("forecast")
    for name, n, _, _ in groups:
        scores.add_column(f"{name.upper() if name != 'all' else 'all'} ({n})", justify="right")
    for forecast in r.log_score:
        cells = []
        for _, _, ls_, bs_ in groups:
            ls, bs = ls_[forecast], bs_[forecast]
            best_l, best_b = ls == max(ls_.values()), bs == min(bs_.values())
            cells.append((f"[bold]{ls:.3f}[/bold]" if best_l else f"{ls:.3f}") + " / "
                         + (f"[bold]{bs:.3f}[/bold]" if best_b else f"{bs:.3f}"))
        scores.add_row(forecast, *cells)
    console.print(scores)
    baselines = {k: v for k, v in r.log_score.items() if k not in ("model", EUM)}
    strongest = max(baselines, key=lambda k: baselines[k])
    gap = r.log_score["model"] - baselines[strongest]
    console.print(f"Strongest baseline by the log score: {strongest} ({baselines[strongest]:.3f}); "
                  f"the model is {'ahead' if gap > 0 else 'behind'} by {abs(gap):.3f} per case.")
    if r.alliance_aware:
        best = r.best_alliance_baseline()
        gap = r.log_score["model"] - r.log_score[best]
        console.print(f"Best baseline that knows the alliance: {best} ({r.log_score[best]:.3f}); "
                      f"the model is {'ahead' if gap > 0 else 'behind'} by {abs(gap):.3f} per "
                      "case.")
    console.print(
        "model: the fitted member model with each alliance's decision rule; alliance base rate: "
        "the frequency of each rung in the same alliance's other cases with the same request; "
        "alliance grants: 'the alliance grants what was asked' with the alliance's own share "
        "of granted requests, the rest by its record of other rungs; alliance probit: an "
        "ordered probit with only an alliance intercept and the treaty scope; leader decides: "
        "the same member model with the leader's preference as the decision; request base rate: "
        "observed frequency of each rung in the other cases with the same request; frequency: "
        "observed frequency of each rung in the other cases among the rungs the request allowed "
        f"(all smoothed); always decline: 'none' with probability {1 - r.decline_eps:g}. "
        "Bold: the best in its column.", style="dim")
    diffs = Table(title="Is the difference real? Mean log-score difference per case, with a "
                  "90% paired bootstrap interval over the cases", title_justify="left")
    diffs.add_column("cases")
    diffs.add_column("comparison")
    diffs.add_column("difference", justify="right")
    diffs.add_column("90% interval", justify="right")
    diffs.add_column("resamples where model is better", justify="right")
    sets = [("all", r.differences)] + [(k.upper(), g.differences)
                                       for k, g in r.by_alliance.items()]
    for label, ds in sets:
        for d in ds:
            diffs.add_row(label, f"{d.a} - {d.b}", f"{d.mean:+.3f}",
                          f"{d.low:+.2f} to {d.high:+.2f}", pct(d.p_a_better))
    console.print(diffs)
    if r.request is not None:
        rq = Table(title="The request stage, leave-one-out (P of the request each victim made): "
                   "mean log score / Brier score", title_justify="left")
        rq.add_column("forecast")
        rq.add_column("log score", justify="right")
        rq.add_column("Brier", justify="right")
        for name, ls in r.request.log_score.items():
            rq.add_row(name, f"{ls:.3f}", f"{r.request.brier[name]:.3f}")
        console.print(rq)
        console.print("request model: the fitted request stage (model/request.py); uniform: 1/3 "
                      "each; request frequency: the other cases' requests (smoothed); unfitted "
                      "judgement: the defaults before 0.3. The council's scores above condition "
                      "on the request actually made.", style="dim")
    render_outside(r, console)
    render_ablation(r, console)
    render_codings(r, console)
    render_nested(r, console)
    render_alliance_out(r, console)

    for k in r.contingents:
        t = Table(title=f"Contingents, {k.case_id}: simulated given collective military help "
                  f"({k.trials_with_collective_military:,} trials) beside the record",
                  title_justify="left")
        t.add_column("member")
        t.add_column("recorded", justify="right")
        t.add_column("simulated mean", justify="right")
        t.add_column("P(sends)", justify="right")
        t.add_column("token? recorded / simulated", justify="center")
        shown = [m for m in k.members
                 if m["recorded"] is not None or (m["simulated_mean"] or 0) >= 0.5]
        for m in shown:
            rec = m["recorded"]
            t.add_row(m["id"], "-" if rec is None else (f"{rec:,}" if isinstance(rec, int)
                                                         else str(rec)),
                      "-" if m["simulated_mean"] is None else f"{m['simulated_mean']:,.0f}",
                      "-" if m["p_sends"] is None else pct(m["p_sends"]),
                      f"{_yn(m.get('recorded_token'))} / {_yn(m.get('simulated_token'))}")
        console.print(t)
        if len(shown) < len(k.members):
            console.print(f"({len(k.members) - len(shown)} other members neither recorded nor "
                          "simulated to send troops)", style="dim")
        share = "-" if k.simulated_leader_share is None else pct(k.simulated_leader_share)
        console.print(f"token: a contingent under {TOKEN_TROOPS} troops; ?: size not recorded. "
                      f"Simulated leader's share: {share}"
                      + (f"; record: {k.recorded_notes}" if k.recorded_notes else ""))
    if r.contingents:
        console.print("The private benefit pi is set from the NATO records alone (pi = 1 + the "
                      "mean recorded token contingent / s0; docs/model.md): the NATO comparisons "
                      "are in-sample, Kazakhstan 2022 is out of sample.", style="bold")


def render_ablation(r: HindcastReport, console: Console) -> None:
    if not r.ablation:
        return
    groups = list(r.ablation[0].by_alliance)
    t = Table(title="Ablation: each component off or held, every specification fitted "
              "leave-one-out (mean log score per case; Brier)", title_justify="left")
    t.add_column("specification")
    t.add_column("all", justify="right")
    for g in groups:
        t.add_column(g.upper(), justify="right")
    t.add_column("minus the model (90% interval)", justify="right")
    for a in r.ablation:
        d = a.versus_model
        t.add_row(a.name, f"{a.log_score:.3f} / {a.brier:.3f}",
                  *(f"{a.by_alliance.get(g, float('nan')):.3f}" for g in groups),
                  "-" if d is None else f"{d.mean:+.3f} ({d.low:+.2f} to {d.high:+.2f})")
    console.print(t)
    console.print("A component earns its place when taking it out makes the held-out score worse "
                  "(a negative difference). " + "; ".join(f"{a.name}: {a.what}"
                                                         for a in r.ablation[1:]) + ".",
                  style="dim")


def render_codings(r: HindcastReport, console: Console) -> None:
    if not r.codings:
        return
    cols = [("as coded", len(r.cases), r.log_score)] + [
        (c.coding, c.cases, c.log_score) for c in r.codings]
    t = Table(title="Contested codings: the hindcast with outcomes read another way (mean log "
              "score per case; bold: the best in its column)", title_justify="left")
    t.add_column("forecast")
    for label, n, _ in cols:
        t.add_column(f"{label} ({n})", justify="right")
    best = [max(ls.values()) for _, _, ls in cols]
    for name in r.log_score:
        t.add_row(name, *("-" if name not in ls else
                          f"[bold]{ls[name]:.3f}[/bold]" if ls[name] == b else
                          f"{ls[name]:.3f}" for (_, _, ls), b in zip(cols, best, strict=True)))
    console.print(t)
    console.print("; ".join(f"{c.coding}: " + ", ".join(
        f"{k} -> {v or 'left out'}" for k, v in c.recoded.items()) for c in r.codings
        if c.coding != "all three") + ".", style="dim")


def render_nested(r: HindcastReport, console: Console) -> None:
    if r.nested is None:
        return
    n = r.nested
    console.print(f"Nested selection: each case forecast by the specification that a "
                  f"leave-one-out on the other cases chose among {len(n.candidates)} "
                  f"({', '.join(n.candidates)}): log score {n.log_score:.3f}, Brier "
                  f"{n.brier:.3f} (" + ", ".join(f"{k.upper()} {v:.3f}"
                                                  for k, v in n.by_alliance.items()) + ")")
    chosen: dict[str, int] = {}
    for c in n.cases:
        chosen[c.chosen] = chosen.get(c.chosen, 0) + 1
    console.print("Chosen: " + ", ".join(f"{k} {v}x" for k, v in sorted(
        chosen.items(), key=lambda kv: -kv[1])))
    t = Table(title="Nested selection against the plain hindcast's forecasts (mean log-score "
              "difference per case, 90% paired bootstrap)", title_justify="left")
    t.add_column("comparison")
    t.add_column("difference", justify="right")
    t.add_column("90% interval", justify="right")
    for d in n.versus:
        t.add_row(f"{d.a} - {d.b}", f"{d.mean:+.3f}", f"{d.low:+.2f} to {d.high:+.2f}")
    console.print(t)


def render_alliance_out(r: HindcastReport, console: Console) -> None:
    """Leave-one-alliance-out: overall, then each alliance's cases, model and baselines."""
    a = r.alliance_out
    if a is None:
        return
    names = [n for n in a.log_score if n != "always decline"]
    t = Table(title=f"Leave-one-alliance-out ({a.alliances} alliances: each alliance's cases "
              "forecast by fits on the others'; an unseen alliance's intercept integrated "
              "over its prior): mean log score", title_justify="left", box=box.SIMPLE_HEAD,
              pad_edge=False, collapse_padding=True)
    t.add_column("alliance", no_wrap=True)
    t.add_column("cases", justify="right")
    for n in names:
        t.add_column(n.replace("alliance ", "").replace("request ", "req. "), justify="right")
    t.add_row("all", str(sum(g.cases for g in a.by_alliance.values())),
              *[f"{a.log_score[n]:.3f}" for n in names], style="bold")
    for name, g in a.by_alliance.items():
        t.add_row(name, str(g.cases), *[f"{g.log_score[n]:.3f}" for n in names])
    console.print(t)
    for label, score, d in (("unpooled", a.log_score["model"], a.against_best),
                            ("intercepts partially pooled", a.pooled_log_score,
                             a.pooled_against_best)):
        console.print(f"model ({label}) {score:.3f}; minus {d.b} (the best baseline that knows "
                      f"the alliance): {d.mean:+.3f} per case, 90% paired bootstrap "
                      f"{d.low:+.2f} to {d.high:+.2f}")


def render_burden(r: HindcastReport, console: Console) -> None:
    t = Table(title="Burden sharing (Olson & Zeckhauser predict rho > 0: the large carry more "
              "relative to their size)", title_justify="left")
    t.add_column("measure")
    t.add_column("members (GDP rank order)")
    t.add_column("Spearman rho", justify="right")
    t.add_column("p", justify="right")
    for b in r.burden_sharing:
        order = [m for _, m in sorted(zip(b.size, b.members, strict=True), reverse=True)]
        t.add_row(b.measure, " > ".join(order), f"{b.spearman_rho:+.2f}", f"{b.p_value:.2f}")
    console.print(t)


def render_outside(r: HindcastReport, console: Console) -> None:
    """Leave-one-out forecasts of action outside the alliance (the fallback stage)."""
    if not r.outside_action:
        return
    fits = list(r.outside_action[0].p_outside)
    t = Table(title="Acting outside the alliance (fallback), leave-one-out: P(a member tied to "
              "the victim sends troops alone | the observed rung)", title_justify="left")
    t.add_column("case", overflow="fold", min_width=23)
    t.add_column("observed", no_wrap=True)
    t.add_column("acted alone", justify="center", no_wrap=True)
    for name in fits:
        t.add_column(name, justify="right", no_wrap=True)
    for o in r.outside_action:
        t.add_row(o.case_id, SHORT[o.observed_rung], _yn(o.acted_outside),
                  *["-" if o.p_outside[n] is None else pct(o.p_outside[n] or 0.0)
                    for n in fits])
    n = len(r.outside_action)
    t.add_row("mean joint log score, log P(rung, acted alone)", "", "",
              *[f"{sum(o.joint_log_score[f] for o in r.outside_action) / n:.3f}"
                for f in fits], end_section=True)
    console.print(t)
    console.print("model: fitted on the rungs and on these records; model, rungs only: fitted "
                  "on the rungs alone (the unilateral margin stays at 0, so every member "
                  "preferring military help acts on it).", style="dim")


def render_scores(r: ScoreReport, console: Console) -> None:
    """Per-case P(observed) and mean scores of a fixed parameter set."""
    names = list(r.log_score)
    table = Table(title=f"Cases scored with one fixed parameter set ({len(r.cases)} cases, no "
                  "refit): P(observed rung)", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    table.add_column("case", overflow="fold", min_width=16)
    table.add_column("asked", no_wrap=True)
    table.add_column("observed", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for c in r.cases:
        obs = RUNGS.index(c.observed)
        table.add_row(c.case_id, SHORT.get(c.request, c.request), SHORT[c.observed],
                      *[pct(c.probabilities[n][obs]) for n in names])
    console.print(table)
    scores = Table(title="Mean scores", title_justify="left", box=box.SIMPLE_HEAD)
    scores.add_column("forecast")
    scores.add_column("log score (higher is better)", justify="right")
    scores.add_column("Brier (lower is better)", justify="right")
    for n in names:
        scores.add_row(n, f"{r.log_score[n]:.3f}", f"{r.brier[n]:.3f}")
    console.print(scores)
    d = r.against_best
    if d is not None:
        console.print(f"model - {d.b} (the best baseline that knows the alliance): {d.mean:+.3f} "
                      f"per case, 90% paired bootstrap {d.low:+.2f} to {d.high:+.2f}")
    if len(r.by_alliance) > 1:
        shown = [n for n in names if n in ("model", "alliance base rate", "alliance grants",
                                           "alliance probit", "request base rate")]
        by = Table(title="Mean log score by alliance", title_justify="left",
                   box=box.SIMPLE_HEAD)
        by.add_column("alliance")
        by.add_column("cases", justify="right")
        for n in shown:
            by.add_column(n.replace("alliance ", "").replace("request ", "req. "),
                          justify="right")
        for a, s in r.by_alliance.items():
            by.add_row(a, f"{s['cases']:.0f}", *[f"{s[n]:.2f}" for n in shown])
        console.print(by)
    notes: dict[str, list[str]] = {}
    for c in r.cases:
        for note in c.notes:
            notes.setdefault(note, []).append(c.case_id)
    for note, ids in notes.items():
        console.print(f"{note} ({len(ids)} case{'s' if len(ids) != 1 else ''}"
                      + ("" if "intercept" in note else ": " + ", ".join(ids)) + ")",
                      style="dim")
    console.print("model and leader decides (the same parameters, the leader's weight 1): "
                  "in-sample if these parameters were fitted on these cases (the shipped "
                  "defaults were fitted on the 17 bundled cases; use `hindcast` for held-out "
                  "scores); an alliance the parameters give no intercept has it integrated over "
                  "its prior. The baselines read the bundled record without the scored case: "
                  "the alliance's base rate, 'it grants' and the intercept probit (pooled where "
                  "it has no case), the request base rate and frequency; always decline: "
                  "'none' with probability 0.95.", style="dim")
