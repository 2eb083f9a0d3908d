"""Score the cases beyond the CSTO and NATO (issue 20): frozen first, then refitted.

    python scripts/score_beyond.py [NEW_CASES_FOLDER]

1. Frozen: the new cases forecast by the parameters shipped before they were coded (the fit on
   the 17 bundled cases, tag params-frozen-issue20; an alliance without cases has its intercept
   integrated over its prior N(0, 1)), against every baseline computed from the bundled record.
2. Refitted on all the cases: leave-one-out, and leave-one-alliance-out (each alliance forecast
   by the others' cases only), overall, per alliance and per era.
3. The same with the alliances' intercepts partially pooled (calibration.fit_pooled).
Each comparison with the best alliance-aware baseline gets a 90% paired-bootstrap interval.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from alliancesim.cases import load_cases
from alliancesim.data import bundled
from alliancesim.experiments import hindcast, validation

NEW = Path(sys.argv[1]) if len(sys.argv) > 1 else bundled.DATA / "cases_beyond"


def table(title: str, forecasts: list[hindcast.CaseForecast],
          groups: dict[str, Callable[[hindcast.CaseForecast], bool]]) -> None:
    print(f"\n{title}")
    names = list(forecasts[0].probs)
    head = "  forecast            " + "".join(f"{g[:14]:>16}" for g in groups)
    print(head)
    for n in names:
        row = f"  {n:<20}"
        for keep in groups.values():
            sub = [f for f in forecasts if keep(f)]
            s = hindcast.score(sub) if sub else None
            row += (f"{s.log_score[n]:>9.3f} / {s.brier[n]:.2f}" if s else f"{'-':>16}")
        print(row)
    if "all" not in groups:
        return
    s = hindcast.score(forecasts)
    aware = max(hindcast.ALLIANCE_AWARE, key=lambda n: s.log_score[n])
    d = hindcast.paired_bootstrap(forecasts, "model", aware)
    print(f"  model - {aware} (best alliance-aware): {d.mean:+.3f} per case, 90% {d.low:+.2f} "
          f"to {d.high:+.2f}")


def main() -> None:
    old_cases = load_cases()
    new_cases = load_cases(NEW)
    old = validation.designs(old_cases)
    new = validation.designs(new_cases)
    year = {c.id: int(str(c.date)[:4]) for c in [*old_cases, *new_cases]}
    alliances = sorted({d.alliance for d in new})
    print(f"{len(new)} new cases from {len(alliances)} alliances ({', '.join(alliances)}); "
          f"{len(old)} bundled")
    every: dict[str, Callable[[hindcast.CaseForecast], bool]] = {"all": lambda f: True}
    by_alliance = {a: (lambda f, a=a: f.alliance == a) for a in sorted(
        {d.alliance for d in [*old, *new]})}
    era = {"before 1990": lambda f: year[f.case_id] < 1990,
           "1990-2009": lambda f: 1990 <= year[f.case_id] < 2010,
           "2010 on": lambda f: year[f.case_id] >= 2010}
    fz = hindcast.unseen_forecasts(old, new)
    table("1. Frozen (the shipped parameters, fitted on the 17 bundled cases; no refit): "
          "mean log score / Brier", fz, {**every, **{a: g for a, g in by_alliance.items()
                                                     if a in alliances}})
    for f in fz:
        p = f.probs["model"]
        print(f"    {f.case_id:<36} observed {f.observed}  model P(observed) {p[f.observed]:.3f}"
              f"  grants {f.probs['alliance grants'][f.observed]:.3f}")
    everything = [*old, *new]
    loo = hindcast.leave_one_out(everything)
    table("2a. Refitted, leave-one-out on all cases", loo, {**every, **era})
    table("2a'. ... per alliance", loo, by_alliance)
    loao = hindcast.leave_one_alliance_out(everything)
    table("2b. Refitted, leave-one-alliance-out", loao, {**every, **era})
    table("2b'. ... per alliance", loao, by_alliance)
    loao_p = hindcast.leave_one_alliance_out(everything, pooled=True)
    table("3a. Intercepts partially pooled (tau chosen on the training alliances), "
          "leave-one-alliance-out", loao_p, {**every, **era})
    table("3a'. ... per alliance", loao_p, by_alliance)
    ploo = hindcast.pooled_leave_one_out(everything)
    sp = hindcast.score(ploo)
    print(f"\n3b. Intercepts partially pooled, leave-one-out (tau chosen in each fold): "
          f"{sp.log_score['model']:.3f} / {sp.brier['model']:.2f}")
    print("\nmean per-case P(observed), model:",
          f"frozen {np.mean([f.probs['model'][f.observed] for f in fz]):.3f}")


if __name__ == "__main__":
    main()
