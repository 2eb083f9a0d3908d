"""Print the two coders' agreement on the cases of issue 20 (docs/coding.md, "Double coding").

    python scripts/coder_agreement.py [research/issue20]

Reads codes_A.yaml and codes_B.yaml from the folder; prints Cohen's kappa (with its standard
error and 95% interval) for the observed rung and the request, and every disagreement.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from alliancesim.experiments.agreement import agreement

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "research/issue20")
a = yaml.safe_load((folder / "codes_A.yaml").read_text())
b = yaml.safe_load((folder / "codes_B.yaml").read_text())
codable_a = sum(bool(v.get("codable", True)) for v in a.values())
codable_b = sum(bool(v.get("codable", True)) for v in b.values())
print(f"sheets: A {len(a)}, B {len(b)}; codable by A {codable_a}, by B {codable_b}")
for field in ("rung", "request"):
    r = agreement(a, b, field)
    print(f"\n{field}: {len(r.cases)} cases coded by both; agreement {r.observed:.0%}; "
          f"Cohen's kappa {r.kappa:.2f} (se {r.se:.2f}, 95% {r.low:.2f} to {r.high:.2f})")
    print(f"  not codable by one or both: {', '.join(r.not_codable) or '-'}")
    for case, x, y in r.disagreements:
        print(f"  {case}: A {x}, B {y}")
