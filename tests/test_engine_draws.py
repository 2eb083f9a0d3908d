"""engine.parameter_draws in array form gives, bit for bit, what laying each group's stored
draw around the scenario's values in turn gives (the loop it replaced, kept here as the oracle;
issue 23, item 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from alliancesim import api
from alliancesim.engine import GROUP, lay_around, parameter_draws
from alliancesim.model.council import council_model
from alliancesim.scenario.compile import CompiledCrisis, compile_crisis
from alliancesim.scenario.schema import Scenario


def _one_group_at_a_time(model: CompiledCrisis, rng: np.random.Generator, n: int
                         ) -> dict[str, np.ndarray]:
    post = model.posterior
    assert post is not None
    council = council_model(post.council_model).for_alliances(post.alliances)
    mode = council.natural(post.council_map)
    own = f"council.alliance_intercepts.{model.alliance}"
    groups = -(-n // GROUP)
    index = rng.integers(0, post.council_draws.shape[0], size=groups)
    foreign = None if own in mode else post.alliance_prior_sd * rng.standard_normal(groups)
    mode["council.alliance_intercept"] = mode.get(own, 0.0)
    for j, name in enumerate(("request.threat", "request.cutpoints.1", "request.cutpoints.2")):
        mode[name] = float(post.request_map[j])
    out = {name: np.empty(n) for name in post.centre}
    for g in range(groups):
        sl = slice(g * GROUP, min((g + 1) * GROUP, n))
        i = int(index[g])
        draw = council.natural(post.council_draws[i])
        draw["council.alliance_intercept"] = (
            draw[own] if foreign is None else mode["council.alliance_intercept"]
            + float(foreign[g]))
        r = post.request_draws[i]
        draw.update({"request.threat": float(r[0]), "request.cutpoints.1": float(r[1]),
                     "request.cutpoints.2": float(r[2])})
        for name, value in lay_around(post.centre, post.high, draw, mode).items():
            out[name][sl] = value
    return out


def _scenario(name: str, alliance_id: str | None = None) -> Scenario:
    data: dict[str, Any] = api.load_scenario(name).model_dump(mode="json", by_alias=True)
    data["parameters"]["uncertainty"] = "posterior"
    if alliance_id is not None:  # an alliance without cases: its intercept drawn from the prior
        data["alliance"]["id"] = alliance_id
    return Scenario.model_validate(data)


@pytest.mark.parametrize(("name", "alliance_id", "n"), [
    ("csto-2021-autumn", None, 5 * GROUP + 17),
    ("nato-2021-baltic", None, 40 * GROUP),
    ("nato-2021-baltic", "other", 3 * 2048 + 1),
])
def test_array_form_equals_one_group_at_a_time(name: str, alliance_id: str | None,
                                                n: int) -> None:
    model = compile_crisis(_scenario(name, alliance_id), 0)
    new = parameter_draws(model, np.random.default_rng(11), n)
    old = _one_group_at_a_time(model, np.random.default_rng(11), n)
    assert set(new) == set(old)
    for key in old:
        assert new[key].shape == (n,)
        assert np.array_equal(new[key], old[key]), key
    if alliance_id is not None:  # the prior's draws differ per group, not per stored draw
        per_group = new["council.alliance_intercept"][::GROUP]
        assert np.unique(per_group).size == per_group.size
