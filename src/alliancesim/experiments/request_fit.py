"""Fitting and scoring the request stage on the recorded requests (model/request.py).

    r = b_threat * log(S / D0) + b_trust * (trust - 0.5) + eta,   eta ~ N(0, 1)
    P(none) = Phi(rho_1 - r),  P(consultations) = Phi(rho_2 - r) - Phi(rho_1 - r),
    P(military) = 1 - Phi(rho_2 - r)

fitted by penalised maximum likelihood on the bundled cases' requests (each case fixes the
request its victim made; S and D0 are built by the engine's own functions, model/crisis.py, at
the point values). The intercept is fixed at 0 (not identified apart from the cut-points; the
judgement intercept 0.5 is folded into the prior's cut-points). The prior is Gaussian, sd 1,
centred on the pre-fit judgement (b_threat 1, rho = (-1.5, -0.5)). b_trust is not informed:
no case codes a trust other than 0.5; it stays at its judgement value 2 and is reported as
fixed (TRUST_WEIGHT). The datasets record no requests (MID codes joining, not asking), so the
cases are the whole record. Leave-one-out scores are reported against the uniform forecast
(1/3 each), the observed frequency of requests in the other cases (smoothed) and the unfitted
judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr

from alliancesim.cases.case import Case, to_scenario
from alliancesim.cases.designs import point_values
from alliancesim.experiments.numerics import hessian
from alliancesim.model import crisis
from alliancesim.model.request import request_probabilities
from alliancesim.scenario.compile import CompiledCrisis, compile_crisis

PRIOR = np.array([1.0, -1.5, -0.5])  # b_threat, rho_1, rho_2 (judgement, intercept folded in)
PRIOR_SD = 1.0
TRUST_WEIGHT = 2.0  # fixed at the judgement value: not informed by the cases
# the judgement defaults before 0.3 (never fitted):
# r = 0.5 + log(S/D0) + 2 (trust - 0.5), rho = (-1, 0)
JUDGEMENT = {"intercept": 0.5, "threat": 1.0, "trust_weight": 2.0, "cutpoints": (-1.0, 0.0)}
NAMES = ("threat", "cutpoints.1", "cutpoints.2")
FLOOR = 1e-12


@dataclass(frozen=True)
class RequestCase:
    case_id: str
    ratio: float  # log(S / D0)
    trust: float
    observed: int  # 0 none, 1 consultations, 2 military


def drawn_level(case: Case) -> bool:
    """Whether the request stage can draw the case's request: it draws none, consultations or
    military help; a case that asked for material help (model/request.py) is left out of its
    fit and its score."""
    return case.crisis.request != "material"


def request_cases(cases: list[Case]) -> list[RequestCase]:
    """The request data of the cases whose request the stage draws (drawn_level)."""
    return [request_case(c.id, compile_crisis(to_scenario(c), 0)) for c in cases
            if drawn_level(c)]


def request_case(case_id: str, model: CompiledCrisis) -> RequestCase:
    """One case's request data from its compiled one-crisis scenario (request fixed)."""
    v = point_values(model)
    vic = model.members[model.victim]
    S = crisis.aggressor_strength(v, model.aggressor_distance)
    D0 = crisis.committed_forces(v, v[f"troops.{vic}"])
    ratio = float(np.log(max(S[0], 1e-9) / max(D0[0], 1e-9)))
    return RequestCase(case_id, ratio, float(v["trust"][0]), int(model.request_fixed))


def _latent(beta: float, rc: RequestCase, trust_weight: float = TRUST_WEIGHT) -> float:
    return beta * rc.ratio + trust_weight * (rc.trust - 0.5)


def probabilities(theta: np.ndarray, rc: RequestCase) -> np.ndarray:
    rho1, rho2 = sorted((float(theta[1]), float(theta[2])))
    return request_probabilities(_latent(float(theta[0]), rc), rho1, rho2)


def _neg_log_post(theta: np.ndarray, data: list[RequestCase], prior_sd: float) -> float:
    if theta[2] <= theta[1]:
        return 1e9 + float((theta[1] - theta[2]) * 1e6)
    ll = 0.0
    for rc in data:
        r = _latent(float(theta[0]), rc)
        if rc.observed == 0:
            ll += float(log_ndtr(theta[1] - r))
        elif rc.observed == 2:
            ll += float(log_ndtr(r - theta[2]))
        else:
            ll += float(np.log(max(ndtr(theta[2] - r) - ndtr(theta[1] - r), FLOOR)))
    return -ll + float(((theta - PRIOR) ** 2).sum()) / (2 * prior_sd**2)


@dataclass(frozen=True)
class RequestFit:
    theta: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    log_likelihood: float
    n_cases: int

    def parameters(self) -> dict[str, object]:
        """The scenario's parameters.request block at the estimate."""
        return {"intercept": 0.0, "threat": round(float(self.theta[0]), 4),
                "trust_weight": TRUST_WEIGHT,
                "cutpoints": [round(float(self.theta[1]), 4), round(float(self.theta[2]), 4)]}


def fit(data: list[RequestCase], prior_sd: float = PRIOR_SD, standard_errors: bool = True
        ) -> RequestFit:
    res = minimize(_neg_log_post, PRIOR.copy(), args=(data, prior_sd), method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20_000})
    theta = res.x
    se = np.full(3, np.nan)
    cov = np.full((3, 3), np.nan)
    if standard_errors:
        cov = np.linalg.inv(hessian(lambda t: _neg_log_post(t, data, prior_sd), theta))
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    ll = -_neg_log_post(theta, data, prior_sd) + float(((theta - PRIOR) ** 2).sum()) / (
        2 * prior_sd**2)
    return RequestFit(theta, se, cov, ll, len(data))


def base_rate(train: list[RequestCase]) -> np.ndarray:
    counts = np.bincount([t.observed for t in train], minlength=3) + 0.5
    return counts / counts.sum()


REQUEST_FORECASTS = ("request model", "uniform", "request frequency", "unfitted judgement")


def leave_one_out(data: list[RequestCase], prior_sd: float = PRIOR_SD
                  ) -> list[dict[str, np.ndarray]]:
    j = JUDGEMENT
    out = []
    for k, held in enumerate(data):
        train = data[:k] + data[k + 1:]
        f = fit(train, prior_sd, standard_errors=False)
        r0 = j["intercept"] + j["threat"] * held.ratio + j["trust_weight"] * (held.trust - 0.5)  # type: ignore[operator]
        c = j["cutpoints"]
        out.append({"request model": probabilities(f.theta, held),
                    "uniform": np.full(3, 1 / 3),
                    "request frequency": base_rate(train),
                    "unfitted judgement": request_probabilities(r0, c[0], c[1])})  # type: ignore[index]
    return out


def loo_scores(data: list[RequestCase], forecasts: list[dict[str, np.ndarray]]
               ) -> tuple[dict[str, float], dict[str, float], list[dict[str, float]]]:
    """Mean log and Brier scores per forecast, and each case's log score."""
    per_case = [{k: float(np.log(max(p[rc.observed], FLOOR))) for k, p in f.items()}
                for rc, f in zip(data, forecasts, strict=True)]
    log = {k: float(np.mean([c[k] for c in per_case])) for k in REQUEST_FORECASTS}
    brier = {k: float(np.mean([((f[k] - np.eye(3)[rc.observed]) ** 2).sum()
                               for rc, f in zip(data, forecasts, strict=True)]))
             for k in REQUEST_FORECASTS}
    return log, brier, per_case
