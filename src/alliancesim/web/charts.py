"""Plotly figure specifications (plain JSON: data and layout) built from a kept record, for
the pages to draw with Plotly's JavaScript. No numbers are computed here beyond a record's own:
each error bar is 1.96 x the Monte Carlo standard error the record gives (a 95% interval of
the simulation noise); each band is the record's 90% band over the parameters' posterior
(results/bands.py), drawn apart from it, as the HTML report and the figures of report/ draw
them."""

from __future__ import annotations

from typing import Any

RUNGS = ("none", "statement", "consultations", "mission", "military")
OUTCOMES = ("repelled", "contained", "lost")
Z = 1.96  # two-sided 95% normal interval of the Monte Carlo error
BLUE, GREY, ORANGE, RED, GREEN = "#2c6fbb", "#9a9a9a", "#e08a1e", "#c0392b", "#2e8b57"


def _layout(title: str, **more: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {"title": {"text": title, "font": {"size": 15}},
                              "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
                              "height": 330, "legend": {"orientation": "h", "y": -0.25},
                              "barmode": "group"}
    layout.update(more)
    return layout


def _band_trace(x: list[Any], bands: list[tuple[float, float] | None], name: str,
                horizontal: bool = False) -> dict[str, Any] | None:
    """A band (low, high) per category as a marker at its middle with asymmetric bars."""
    if not any(b is not None for b in bands):
        return None
    mid = [None if b is None else (b[0] + b[1]) / 2 for b in bands]
    up = [0 if b is None else (b[1] - b[0]) / 2 for b in bands]
    err = {"type": "data", "symmetric": True, "array": up, "color": ORANGE, "thickness": 3,
           "width": 8}
    trace: dict[str, Any] = {"type": "scatter", "mode": "markers", "name": name,
                             "marker": {"color": ORANGE, "symbol": "line-ew-open", "size": 14}}
    if horizontal:
        trace.update(y=x, x=mid, error_x=err, orientation="h")
    else:
        trace.update(x=x, y=mid, error_y=err)
    return trace


def run_charts(crisis: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts of one crisis of a run's summary: the response with its bands and the base
    rate, who blocks, who acts alone, contributions, arrival and duration, outcomes with and
    without the alliance."""
    charts: list[dict[str, Any]] = []
    response, se = crisis["response"], crisis.get("response_se") or {}
    band = crisis.get("parameter_band") or {}
    data: list[dict[str, Any]] = [{
        "type": "bar", "name": "forecast (95% Monte Carlo interval)", "x": list(RUNGS),
        "y": [response.get(r, 0.0) for r in RUNGS], "marker": {"color": BLUE},
        "error_y": {"type": "data", "array": [Z * se.get(r, 0.0) for r in RUNGS]}}]
    base = crisis.get("base_rate")
    if base:
        data.append({"type": "bar", "name": "base rate: the alliance's own cases",
                     "x": list(RUNGS), "y": [base.get(r, 0.0) for r in RUNGS],
                     "marker": {"color": GREY}})
    trace = _band_trace(list(RUNGS), [band.get(r) for r in RUNGS],
                        "90% band over the parameters")
    if trace is not None:
        data.append(trace)
    charts.append({"id": "response", "figure": {"data": data, "layout": _layout(
        "The alliance's response", yaxis={"title": "probability", "range": [0, 1]})}})

    members = crisis.get("members") or []
    names = [m["id"] for m in members]
    charts.append({"id": "blockers", "figure": {"data": [
        {"type": "bar", "name": "holds out (prefers less than the outcome)", "x": names,
         "y": [m["holds_out"] for m in members], "marker": {"color": RED}},
        {"type": "bar", "name": "sole veto (alone stops military help)", "x": names,
         "y": [m["sole_veto"] for m in members], "marker": {"color": ORANGE}},
        {"type": "bar", "name": "prefers military help", "x": names,
         "y": [m["preferred_military"] for m in members], "marker": {"color": BLUE}},
    ], "layout": _layout("Who blocks", yaxis={"title": "share of trials", "range": [0, 1]})}})

    alone = [("leader alone", crisis.get("p_leader_alone")),
             ("another member alone", crisis.get("p_other_member_alone")),
             ("coalition of the willing", crisis.get("p_coalition_of_willing")),
             ("any, without the alliance", crisis.get("p_acts_without_alliance"))]
    charts.append({"id": "alone", "figure": {"data": [
        {"type": "bar", "orientation": "h", "name": "share of trials",
         "y": [a for a, _ in alone], "x": [v or 0.0 for _, v in alone],
         "marker": {"color": GREEN}, "text": [f"{100 * (v or 0.0):.1f}%" for _, v in alone],
         "textposition": "outside", "cliponaxis": False}],
        "layout": _layout("Acting without the alliance", showlegend=False,
                          xaxis={"title": "probability", "rangemode": "tozero"},
                          yaxis={"autorange": "reversed"},
                          margin={"l": 190, "r": 40, "t": 50, "b": 60})}})

    troops: list[dict[str, Any]] = [{
        "type": "bar", "name": "mean troops sent (95% Monte Carlo interval)", "x": names,
        "y": [m["mean_troops"] for m in members], "marker": {"color": BLUE},
        "error_y": {"type": "data", "array": [Z * (m.get("mean_troops_se") or 0.0)
                                              for m in members]}}]
    trace = _band_trace(names, [m.get("mean_troops_band") for m in members],
                        "90% band over the parameters")
    if trace is not None:
        troops.append(trace)
    charts.append({"id": "contributions", "figure": {"data": troops, "layout": _layout(
        f"Contributions by member (all trials; troops sent in "
        f"{100 * (crisis.get('p_troops_sent') or 0):.0f}% of them)",
        yaxis={"title": "troops"})}})

    rows: list[tuple[str, dict[str, float]]] = [
        (n, q) for n, q in (("first arrival", crisis.get("first_arrival_days")),
                            ("end, with the alliance", crisis.get("days_to_end_with_alliance")),
                            ("end, alone", crisis.get("days_to_end_alone"))) if q]
    charts.append({"id": "arrival", "figure": {"data": [{
        "type": "scatter", "mode": "markers", "name": "median (bars: 10th-90th percentile)",
        "y": [n for n, _ in rows], "x": [q["median"] for _, q in rows],
        "marker": {"color": BLUE, "size": 11},
        "error_x": {"type": "data", "symmetric": False,
                    "array": [q["p90"] - q["median"] for _, q in rows],
                    "arrayminus": [q["median"] - q["p10"] for _, q in rows]}}],
        "layout": _layout("Arrival and duration (days)", xaxis={
            "title": "days from the attack", "rangemode": "tozero"},
            margin={"l": 150, "r": 20, "t": 50, "b": 60})}})

    with_, alone_ = crisis.get("outcome_with_alliance") or {}, crisis.get("outcome_alone") or {}
    se_w, se_a = crisis.get("outcome_se") or {}, crisis.get("outcome_alone_se") or {}
    charts.append({"id": "outcomes", "figure": {"data": [
        {"type": "bar", "name": "with the alliance", "x": list(OUTCOMES),
         "y": [with_.get(o, 0.0) for o in OUTCOMES], "marker": {"color": BLUE},
         "error_y": {"type": "data", "array": [Z * se_w.get(o, 0.0) for o in OUTCOMES]}},
        {"type": "bar", "name": "the victim alone", "x": list(OUTCOMES),
         "y": [alone_.get(o, 0.0) for o in OUTCOMES], "marker": {"color": GREY},
         "error_y": {"type": "data", "array": [Z * se_a.get(o, 0.0) for o in OUTCOMES]}},
    ], "layout": _layout("Outcomes with and without the alliance",
                         yaxis={"title": "probability", "range": [0, 1]})}})
    return charts


def compare_charts(crisis: dict[str, Any], variants: list[str]) -> list[dict[str, Any]]:
    """One crisis of a comparison: each headline per variant, and each variant's paired
    difference from the base with its Monte Carlo interval and parameter band."""
    values, ses = crisis["values"], crisis.get("value_se") or {}
    headlines = list(values[variants[0]])
    palette = [BLUE, ORANGE, GREEN, RED, GREY, "#7b4fa0"]
    data = [{"type": "bar", "name": v, "x": headlines,
             "y": [values[v][h] for h in headlines],
             "marker": {"color": palette[i % len(palette)]},
             "error_y": {"type": "data", "array": [Z * ses.get(v, {}).get(h, 0.0)
                                                   for h in headlines]}}
            for i, v in enumerate(variants)]
    charts = [{"id": "values", "figure": {"data": data, "layout": _layout(
        "Each variant", yaxis={"title": "probability", "range": [0, 1]})}}]
    diffs = crisis.get("differences") or []
    labels = [f"{d['variant']}: {d['headline']}" for d in diffs]
    paired: list[dict[str, Any]] = [{
        "type": "bar", "orientation": "h", "name": "paired difference (95% Monte Carlo)",
        "y": labels, "x": [d["difference"] for d in diffs], "marker": {"color": BLUE},
        "error_x": {"type": "data", "array": [Z * d["se_paired"] for d in diffs]}}]
    trace = _band_trace(labels, [d.get("parameter_band") for d in diffs],
                        "90% band over the parameters", horizontal=True)
    if trace is not None:
        paired.append(trace)
    charts.append({"id": "differences", "figure": {"data": paired, "layout": _layout(
        f"Paired differences from {variants[0]} (common random numbers)",
        xaxis={"title": "difference in probability", "zeroline": True},
        height=max(330, 28 * len(labels) + 120),
        margin={"l": 260, "r": 20, "t": 50, "b": 60})}})
    return charts


def sweep_charts(report: dict[str, Any], headline: str = "military help"
                 ) -> list[dict[str, Any]]:
    """Per crisis, a headline over the sweep's points: the curve with its 95% Monte Carlo
    interval (shaded) and, where the record has it, the 90% band over the parameters."""
    paths = report["paths"]
    by_crisis: dict[str, list[dict[str, Any]]] = {}
    for p in report["points"]:
        by_crisis.setdefault(p["crisis_id"], []).append(p)
    charts = []
    for crisis_id, points in by_crisis.items():
        if len(paths) == 1:
            x = [p["values"][paths[0]] for p in points]
            title = paths[0]
        else:
            x = [", ".join(str(p["values"][k]) for k in paths) for p in points]
            title = " / ".join(paths)
        y = [p["outcomes"][headline] for p in points]
        se = [p["se"].get(headline, 0.0) for p in points]
        data: list[dict[str, Any]] = [
            {"type": "scatter", "x": x, "y": [v + Z * s for v, s in zip(y, se, strict=True)],
             "mode": "lines", "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
            {"type": "scatter", "x": x, "y": [v - Z * s for v, s in zip(y, se, strict=True)],
             "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
             "fillcolor": "rgba(44,111,187,0.2)", "name": "95% Monte Carlo interval"},
            {"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "name": headline,
             "line": {"color": BLUE}}]
        bands = [p.get("band", {}).get(headline) for p in points]
        if any(b is not None for b in bands):
            data += [
                {"type": "scatter", "x": x, "y": [b[1] if b else None for b in bands],
                 "mode": "lines", "line": {"color": ORANGE, "dash": "dot"},
                 "name": "90% band over the parameters"},
                {"type": "scatter", "x": x, "y": [b[0] if b else None for b in bands],
                 "mode": "lines", "line": {"color": ORANGE, "dash": "dot"},
                 "showlegend": False}]
        charts.append({"id": f"sweep-{crisis_id}", "crisis": crisis_id,
                       "title": points[0]["title"], "figure": {"data": data, "layout": _layout(
                           f"{points[0]['title']}: {headline}",
                           xaxis={"title": title}, yaxis={"title": "probability",
                                                          "range": [0, 1]})}})
    return charts


def hindcast_charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The record: each case's forecast over the rungs with the observed rung marked, the
    scores of the model and every baseline, and the reliability diagram."""
    cases = report["cases"]
    ids = [c["case_id"] for c in cases]
    palette = ["#d9d9d9", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"]
    data: list[dict[str, Any]] = [
        {"type": "bar", "orientation": "h", "name": r, "y": ids,
         "x": [c["model"][k] for c in cases], "marker": {"color": palette[k]}}
        for k, r in enumerate(RUNGS)]
    data.append({"type": "scatter", "mode": "markers", "name": "observed", "y": ids,
                 "x": [sum(c["model"][:RUNGS.index(c["observed"])])
                       + c["model"][RUNGS.index(c["observed"])] / 2 for c in cases],
                 "text": [c["observed"] for c in cases],
                 "marker": {"symbol": "x", "size": 11, "color": "#000"}})
    charts = [{"id": "cases", "figure": {"data": data, "layout": _layout(
        "Each case held out: the forecast over the rungs, the observed rung marked",
        barmode="stack", height=26 * len(ids) + 160, xaxis={"title": "probability"},
        margin={"l": 250, "r": 20, "t": 50, "b": 60})}}]
    names = list(report["log_score"])
    charts.append({"id": "scores", "figure": {"data": [
        {"type": "bar", "orientation": "h", "name": "mean log score (higher is better)",
         "y": names, "x": [report["log_score"][n] for n in names], "marker": {"color": BLUE},
         "xaxis": "x", "yaxis": "y"},
        {"type": "bar", "orientation": "h", "name": "Brier score (lower is better)",
         "y": names, "x": [report["brier"][n] for n in names], "marker": {"color": GREY},
         "xaxis": "x2", "yaxis": "y2"}],
        "layout": _layout("The model against every baseline (leave-one-out)",
                          grid={"rows": 1, "columns": 2, "pattern": "independent"},
                          yaxis={"autorange": "reversed"},
                          yaxis2={"autorange": "reversed", "showticklabels": False},
                          xaxis={"title": "mean log score"}, xaxis2={"title": "Brier score"},
                          height=380, margin={"l": 130, "r": 20, "t": 50, "b": 60})}})
    rel = report.get("reliability") or {}
    lines: list[dict[str, Any]] = [{"type": "scatter", "x": [0, 1], "y": [0, 1],
                                    "mode": "lines", "name": "perfect",
                                    "line": {"color": GREY, "dash": "dash"}}]
    for name, bins in rel.items():
        lines.append({"type": "scatter", "mode": "lines+markers", "name": name,
                      "x": [b["mean_forecast"] for b in bins],
                      "y": [b["observed_frequency"] for b in bins],
                      "text": [f"{b['count']} forecasts" for b in bins]})
    charts.append({"id": "reliability", "figure": {"data": lines, "layout": _layout(
        "Reliability diagram", xaxis={"title": "forecast probability", "range": [0, 1]},
        yaxis={"title": "observed frequency", "range": [0, 1]}, height=420)}})
    return charts


# one colour per member of a sequence (Plotly's own colourway), its band the same colour faded
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


DATES = {"type": "category", "tickangle": -35,
         "automargin": True}  # "prior", then the date of each crisis (the state after it)
DATE_MARGIN = {"l": 60, "r": 20, "t": 50, "b": 100}
DATE_LEGEND = {"orientation": "h", "y": -0.38}


def _faded(colour: str, alpha: float = 0.18) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _band_lines(x: list[str], band: dict[str, list[float]], name: str, colour: str,
                dash: str = "solid", group: str | None = None) -> list[dict[str, Any]]:
    """A median line over the steps with its 90% band shaded (low, then high filled to it)."""
    group = group or name
    return [
        {"type": "scatter", "mode": "lines", "x": x, "y": band["low"], "name": f"{name} 90%",
         "legendgroup": group, "showlegend": False, "hoverinfo": "skip",
         "line": {"width": 0, "color": colour}},
        {"type": "scatter", "mode": "lines", "x": x, "y": band["high"],
         "name": f"{name} (90% band)", "legendgroup": group, "showlegend": False,
         "fill": "tonexty", "fillcolor": _faded(colour), "hoverinfo": "skip",
         "line": {"width": 0, "color": colour}},
        {"type": "scatter", "mode": "lines+markers", "x": x, "y": band["median"], "name": name,
         "legendgroup": group, "line": {"color": colour, "dash": dash}}]


def sequence_charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts of a kept sequence (kind sequence) or of a counterfactual beside its
    baseline (kind sequence-comparison; the variant's paths, as the HTML report shows them):
    each member's belief over time (median and 90% band over the trials), each member's
    P(frozen or exited) by date, the alliance's credibility over time with its band (both runs
    for a comparison), and for a comparison the end-of-sequence P(frozen or exited) of both
    runs with the paired difference's 95% Monte Carlo interval (1.96 x its paired error)."""
    comparison = report.get("kind") == "sequence-comparison"
    shown = report["variant"] if comparison else report
    x = list(shown["steps"])
    charts: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    for i, m in enumerate(shown["members"]):
        data += _band_lines(x, m["belief"], m["member"], PALETTE[i % len(PALETTE)])
    charts.append({"id": "beliefs", "figure": {"data": data, "layout": _layout(
        "Each member's belief that the alliance will help it (median, 90% band)",
        height=380, yaxis={"title": "E[p] of the Beta belief", "range": [0, 1]},
        xaxis=DATES, margin=DATE_MARGIN, legend=DATE_LEGEND)}})
    charts.append({"id": "out", "figure": {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": x[1:], "y": m["p_frozen"][1:],
         "name": m["member"], "line": {"color": PALETTE[i % len(PALETTE)]}}
        for i, m in enumerate(shown["members"])], "layout": _layout(
        "P(frozen or exited) by date", height=360,
        yaxis={"title": "probability", "range": [0, 1]}, xaxis=DATES,
        margin=DATE_MARGIN, legend=DATE_LEGEND)}})
    data = []
    if comparison:
        data += _band_lines(x, report["baseline"]["credibility"], "baseline", GREY, "dot")
        data += _band_lines(x, shown["credibility"], report["label"], BLUE)
    else:
        data += _band_lines(x, shown["credibility"], "credibility", BLUE)
    charts.append({"id": "credibility", "figure": {"data": data, "layout": _layout(
        "The alliance's credibility (median, 90% band)", height=340,
        yaxis={"title": "capability-weighted mean belief", "range": [0, 1]},
        xaxis=DATES, margin=DATE_MARGIN, legend=DATE_LEGEND)}})
    if comparison:
        ends = report["p_frozen_end"]
        names = [f["member"] for f in ends]
        charts.append({"id": "paired", "figure": {"data": [
            {"type": "bar", "name": "baseline", "x": names, "y": [f["baseline"] for f in ends],
             "marker": {"color": GREY}},
            {"type": "bar", "name": f"{report['label']} (95% paired interval)", "x": names,
             "y": [f["variant"] for f in ends], "marker": {"color": BLUE},
             "error_y": {"type": "data", "array": [Z * f["se_paired"] for f in ends]}},
        ], "layout": _layout("P(frozen or exited) at the end: baseline and counterfactual",
                             yaxis={"title": "probability", "range": [0, 1]})}})
    return charts


def likeliest(probabilities: dict[str, float]) -> tuple[str, float] | None:
    """The likeliest rung of a crisis and its probability (None when none has any)."""
    if not probabilities or max(probabilities.values()) <= 0:
        return None
    rung = max(probabilities, key=lambda r: probabilities[r])
    return rung, probabilities[rung]
