"""The benchmark beside a run's forecasts, computed from the bundled cases: what
data/base_rates.yaml holds (scripts/make_base_rates.py writes it, tests/test_benchmark.py
recomputes it; results/bands.benchmark reads it and labels it).

- **Base rates by request.** For each request level and each alliance with cases, the frequency
  of each collective rung among that alliance's cases that made that request, with add-one-half
  smoothing over the rungs the request allows: the hindcast's alliance-aware baseline
  (baselines.alliance_base_rate); and its pooled form over every case ("all", for an alliance
  without a case with that request: baselines.request_base_rate).
- **The model against the best baseline that knows the alliance**, held out (the hindcast,
  experiments/hindcast.py): what `run` says its forecast adds over that baseline.
- **The request stage's held-out score.** The leave-one-out log score per case of the fitted
  request stage (request_fit.leave_one_out, loo_scores) against a uniform third and the other
  cases' frequency of requests: how far the mixture over the request stage can be trusted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from alliancesim.cases import Case, design, load_cases, to_scenario
from alliancesim.experiments import hindcast, request_fit
from alliancesim.experiments.baselines import alliance_base_rate, request_base_rate
from alliancesim.model.council import CaseDesign
from alliancesim.model.request import REQUEST_CAP
from alliancesim.results.bands import POOLED
from alliancesim.scenario.compile import REQUEST_LEVELS, compile_crisis

HEADER = """\
# The benchmark beside every forecast of `alliancesim run`, computed from the bundled cases.
# Written by scripts/make_base_rates.py (experiments/benchmark.py); do not edit: a test
# recomputes it (tests/test_benchmark.py). base_rates: request level -> alliance id (all: every
# case) -> the cases with that request and the smoothed frequency of each rung (none,
# statement, consultations, mission, military). request_stage: the request stage's
# leave-one-out log score per case, against a uniform third and the cases' frequency.
# held_out: the hindcast's leave-one-out log score per case of the model and of the best
# baseline that knows the alliance, with the paired-bootstrap 90% interval of the difference.
"""


def record(cases: list[Case] | None = None) -> dict[str, Any]:
    """The base rates by request and alliance, and the request stage's held-out score."""
    cases = load_cases() if cases is None else cases
    models = [compile_crisis(to_scenario(c), 0) for c in cases]
    designs = [design(m, c.observed_rung, c.id, c.observed_outside)
               for c, m in zip(cases, models, strict=True)]
    rates: dict[str, dict[str, Any]] = {}
    for k, level in enumerate(REQUEST_LEVELS):
        cap = int(REQUEST_CAP[k])
        if not any(d.request == k for d in designs):
            continue  # no case made this request (material help, so far): no base rate
        rates[level] = {}
        for alliance in [POOLED, *sorted({d.alliance for d in designs})]:
            same = [d for d in designs
                    if d.request == k and alliance in (POOLED, d.alliance)]
            if same:  # an alliance without a case with this request reads the pooled entry
                p = (request_base_rate(designs, k, cap) if alliance == POOLED
                     else alliance_base_rate(designs, alliance, k, cap))
                rates[level][alliance] = {"cases": len(same),
                                          "response": [float(x) for x in p]}
    data = [request_fit.request_case(c.id, m) for c, m in zip(cases, models, strict=True)
            if request_fit.drawn_level(c)]
    log, _, _ = request_fit.loo_scores(data, request_fit.leave_one_out(data))
    return {"base_rates": rates,
            "request_stage": {"cases": len(data), "fitted": log["request model"],
                              "uniform": log["uniform"], "frequency": log["request frequency"]},
            "held_out": held_out(designs)}


def held_out(designs: list[CaseDesign]) -> dict[str, Any]:
    """The hindcast's comparison of the model with the best baseline that knows the alliance:
    leave-one-out mean log scores per case and the paired-bootstrap interval of the
    difference (what `run` says its forecast adds over that baseline)."""
    forecasts = hindcast.leave_one_out(designs)
    scores = hindcast.score(forecasts)
    best = max(hindcast.ALLIANCE_AWARE, key=lambda k: scores.log_score[k])
    d = hindcast.paired_bootstrap(forecasts, "model", best)
    return {"cases": len(designs), "model": scores.log_score["model"], "baseline": best,
            "baseline_score": scores.log_score[best], "difference": d.mean, "low": d.low,
            "high": d.high}


def write(path: Path) -> None:
    path.write_text(HEADER + yaml.safe_dump(record(), sort_keys=False, width=100,
                                            default_flow_style=None),
                    encoding="utf-8")
