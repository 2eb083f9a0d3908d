"""Stage 2, the council: each member's preferred rung and the collective decision.

- base.py: the CouncilModel interface, Preferences, CaseDesign;
- rules.py: the decision rules, written once (deterministic and probability forms);
- features.py: the members' council features;
- probit.py: the ordered-probit member model (the default);
- eum.py, eum_council.py: Bueno de Mesquita's expected-utility model and its rule as a council;
- eum_likelihood.py: the expected-utility council as a CouncilModel (its likelihood by
  simulation with common random numbers and a smoothed rung: calibration, the hindcast);
- checks.py: check_council_model, the checks any council model must pass.

A scenario selects its model by ``parameters.council.model`` (default ``ordered_probit``).
"""

from __future__ import annotations

from alliancesim.model.council.base import CaseDesign, CouncilModel, Estimate, Preferences
from alliancesim.model.council.eum_likelihood import EUMCouncil
from alliancesim.model.council.probit import OrderedProbit
from alliancesim.model.council.rules import RULES, DecisionRule

MODELS: dict[str, CouncilModel] = {"ordered_probit": OrderedProbit(),
                                   "expected_utility": EUMCouncil()}


def council_model(name: str) -> CouncilModel:
    """The council model registered under `name`."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown council model {name!r} (valid: {', '.join(MODELS)})"
                         ) from None


__all__ = ["MODELS", "RULES", "CaseDesign", "CouncilModel", "DecisionRule", "EUMCouncil",
           "Estimate", "OrderedProbit", "Preferences", "council_model"]
