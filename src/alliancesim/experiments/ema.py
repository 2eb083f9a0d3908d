"""An adapter for the EMA Workbench: one crisis as an ema_workbench Model, no wrapper to write.

    from ema_workbench import perform_experiments
    model = api.ema_model("examples/armenia-uncertain-council.yaml", crisis="armenia-2022")
    experiments, outcomes = perform_experiments(model, 100)

Uncertainties: every quantity the scenario gives as a distribution, as a RealParameter on its
quantile (0 to 1), so that the Workbench's uniform designs keep each quantity's own
distribution (value = the distribution's quantile function at that point, clipped to the
quantity's valid range). Names are the quantity names with dots as double underscores
(council__coefficients__in_scope). Outcomes: the headline probabilities (military_help, ...)
over `trials` trials of the crisis with those values, the trials' own randomness drawn from the
engine's streams with the same seed for every experiment (common random numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alliancesim.engine import draw_trials, run_pipeline
from alliancesim.results.headlines import ANALYSED as OUTCOMES
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.distributions import is_uncertain
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import Scenario


def ident(name: str) -> str:
    """A quantity's name as a Python identifier (the Workbench passes keyword arguments)."""
    return name.replace(".", "__").replace("-", "_")


def outcome_ident(headline: str) -> str:
    return headline.replace(",", "").replace(" ", "_")


def ema_model(scenario: Scenario, crisis: str, trials: int, seed: int) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import Model, RealParameter, ScalarOutcome

    ids = [c.id for c in scenario.crises]
    if crisis not in ids:
        raise UsageError(f"no such crisis (crises: {', '.join(ids)})", param="crisis",
                         value=crisis)
    compiled = compile_crisis(scenario, ids.index(crisis))
    uncertain = [q for q in compiled.quantities if is_uncertain(q.value)]
    if not uncertain:
        raise UsageError("this crisis has no uncertain quantity to explore", param="crisis",
                         value=crisis)
    noise = draw_trials(compiled, seed, 0, -(-trials // 4096), trials, fixed=False)

    def run(**u: float) -> dict[str, float]:
        inputs = noise.slice(0, trials)
        values = dict(inputs.values)
        for q in uncertain:
            dist: Any = q.value
            v = float(np.clip(dist.ppf(np.array([u[ident(q.name)]]))[0], q.low, q.high))
            values[q.name] = np.full(trials, v)
        r = run_pipeline(compiled, inputs.with_values(values))
        return {outcome_ident(h): float(np.mean(f(r))) for h, f in OUTCOMES.items()}

    model = Model("alliancesim", function=run)
    model.uncertainties = [RealParameter(ident(q.name), 0.0, 1.0) for q in uncertain]
    model.outcomes = [ScalarOutcome(outcome_ident(h)) for h in OUTCOMES]
    return model
