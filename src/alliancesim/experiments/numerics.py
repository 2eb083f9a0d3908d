"""Small numerical helpers the fits share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """The Hessian of a scalar function by central second differences (symmetric), step h:

        H_ij = (f(x + h e_i + h e_j) - f(x + h e_i - h e_j)
                - f(x - h e_i + h e_j) + f(x - h e_i - h e_j)) / (4 h^2)

    statsmodels' approx_hess3 (Ridout 2009, "Statistical applications of the complex-step
    method of numerical differentiation", eq. 9), which replaced the same formula written out
    here (issue 22): the same numbers. Used by the request stage's penalised fit
    (request_fit.py); the large-N probit takes its Hessian from statsmodels' OrderedModel.
    """
    from statsmodels.tools.numdiff import approx_hess3

    return np.asarray(approx_hess3(np.asarray(x, dtype=float), f, epsilon=h), dtype=float)
