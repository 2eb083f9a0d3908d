"""Issue 22, item 1: one behaviour everywhere. Parameter uncertainty is on by default in
api.simulate, `alliancesim run`, api.compare and `alliancesim compare` (a scenario file's own
parameters.uncertainty wins over the default, the option over the file); compare pairs its
variants under common parameter draws as well as common random numbers; every band names its
Monte Carlo part and its parameter part; the README's Python snippet and its command line give
the same numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from alliancesim import api
from alliancesim.cli import _flag, app
from alliancesim.engine import BLOCK, GROUP, draw_block, run_chunk
from alliancesim.experiments.compare import hist_quantile
from alliancesim.results.bands import LEVEL, band, cluster_se
from alliancesim.results.headlines import TRIAL_HEADLINES
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.params import DEFAULT_UNCERTAINTY, uncertainty_of, with_uncertainty

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> Any:
    r = CliRunner().invoke(app, ["--no-store", *args], env={"COLUMNS": "160"})
    return r


# ------------------------------------------------------------------ one rule for the default
def test_the_rule_default_file_option(make_scenario) -> None:  # type: ignore[no-untyped-def]
    unset = make_scenario()
    assert unset.parameters.uncertainty is None
    assert DEFAULT_UNCERTAINTY == "posterior" and uncertainty_of(unset) == "posterior"
    off = make_scenario({"parameters": {"uncertainty": "off"}})
    assert uncertainty_of(off) == "off"  # the file wins over the default
    assert uncertainty_of(off, "posterior") == "posterior"  # the option over the file
    assert with_uncertainty(unset).parameters.uncertainty == "posterior"
    with pytest.raises(api.UsageError, match="parameter_uncertainty='maybe'"):
        uncertainty_of(unset, "maybe")


def test_simulate_draws_the_parameters_unless_told_not_to(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario()
    on = api.simulate(sc, trials=1500, seed=3, by_request=False)
    c = on.summary().crises[0]
    assert on.scenario.parameters.uncertainty == "posterior"  # the kept scenario says so
    assert c.parameter_band is not None and c.parameter_groups == -(-1500 // GROUP)
    off = api.simulate(sc, trials=1500, seed=3, by_request=False, parameter_uncertainty="off")
    assert off.summary().crises[0].parameter_band is None
    # a file that says off is off, unless the option says otherwise
    file_off = make_scenario({"parameters": {"uncertainty": "off"}})
    assert api.simulate(file_off, trials=1500, seed=3, by_request=False
                        ).summary().model_dump() == off.summary().model_dump()
    forced = api.simulate(file_off, trials=1500, seed=3, by_request=False,
                          parameter_uncertainty="posterior").summary()
    assert forced.crises[0].parameter_band == c.parameter_band


def test_every_band_names_its_two_parts(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """Every band of the summary has its Monte Carlo part beside it: a rung's parameter_band
    its response_se, a headline's (troops sent, acts without the alliance, repelled) its
    headline_se (the cluster error over the parameter groups); in the JSON too."""
    ens = api.simulate(make_scenario(), trials=2000, seed=4, by_request=False, keep_trials=True)
    c = ens.summary().crises[0]
    assert c.parameter_band is not None
    same = {"troops sent": "troops sent", "acts without the alliance":
            "acts without the alliance", "repelled": "repelled, with the alliance",
            "lost": "lost, with the alliance"}
    for key in c.parameter_band:
        if key == "contained":  # the figures' band (issue 22 item 2): no summary field for its
            continue            # Monte Carlo error yet (see the report of this part)
        se = (c.response_se if key in c.response else c.headline_se)[same.get(key, key)]
        assert np.isfinite(se) and se >= 0
    assert set(c.headline_band) <= set(c.headline_se)
    # the cluster error of troops sent, from the trials themselves: groups, not trials
    sent = np.asarray((ens.results[0].troops > 0).any(axis=1), dtype=float)
    groups = np.arange(sent.size) // GROUP
    k, n = np.bincount(groups, weights=sent), np.bincount(groups).astype(float)
    assert c.headline_se["troops sent"] == pytest.approx(cluster_se(k, n), rel=1e-12)
    data = json.loads(ens.summary().model_dump_json())["crises"][0]
    assert data["headline_se"] and data["parameter_band"] and data["response_se"]


def test_run_table_and_json_show_both_parts(write_yaml) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE

    path = str(write_yaml(BASE))
    table = _cli("run", path, "-n", "1500", "-q", "--mixed-only")
    assert table.exit_code == 0, table.output
    assert "± MC error" in table.output and "90% band, parameters" in table.output
    flat = " ".join(table.output.split())  # the table wraps at the terminal's width
    assert re.search(r"Troops sent: .*?\(±\d+\.\d MC error; 90% band from the parameters "
                     r"\d+-\d+%\)", flat), table.output
    off = _cli("run", path, "-n", "1500", "-q", "--mixed-only", "--parameter-uncertainty", "off")
    assert "90% band" not in off.output
    assert re.search(r"\(±\d+\.\d MC error\)", " ".join(off.output.split()))
    js = json.loads(_cli("run", path, "-n", "1500", "--mixed-only", "--json").stdout)
    crisis = js["crises"][0]
    assert crisis["parameter_band"] and crisis["headline_se"]


# ------------------------------------------------------------------ the README, both ways
def _readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    block = next(b for b in blocks if "api.simulate(" in b)
    # the simulation and what is read from it; not the calibration, hindcast and scoring that
    # follow it in the same block (each its own command, tested elsewhere)
    lines = [ln for ln in block.splitlines()
             if not ln.startswith(("api.calibrate", "api.hindcast", "api.score_cases"))]
    return "\n".join(lines)


def test_the_readme_snippet_and_its_command_line_give_the_same_numbers() -> None:
    code = _readme_python()
    call = re.search(r"api\.simulate\((.*)\)", code)
    assert call is not None
    seed = int(re.search(r"seed=(\d+)", call.group(1)).group(1))  # type: ignore[union-attr]
    name = re.search(r'api\.load_scenario\("([^"]+)"\)', code).group(1)  # type: ignore[union-attr]
    trials = 1300  # small: the README's 50,000 take a minute
    code = re.sub(r"trials=[\d_]+", f"trials={trials}", code)
    code = re.sub(r',\s*out="[^"]*"', "", code)  # no files: the numbers are the point
    space: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), space)  # the README's own code
    summary = space["summary"]
    # the README's command line: `alliancesim run mine.yaml --json` for the same scenario
    assert "alliancesim run mine.yaml --json" in (ROOT / "README.md").read_text()
    r = _cli("run", name, "--trials", str(trials), "--seed", str(seed), "--json")
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    assert cli == json.loads(summary.model_dump_json())
    # Tajikistan's military help if it asks for it, to the last digit, with its band
    tjk = next(c for c in summary.crises if c.victim == "TJK")
    cli_tjk = next(c for c in cli["crises"] if c["victim"] == "TJK")
    asked = tjk.by_request["military"]
    assert cli_tjk["by_request"]["military"]["response"]["military"] == \
        asked.response["military"]
    assert asked.parameter_band is not None  # parameter uncertainty, both ways


# ------------------------------------------------------------------ compare
def _variants(tmp_path: Path, variants: dict[str, object], base: object = "csto-2021-autumn"
              ) -> Path:
    p = tmp_path / "variants.yaml"
    p.write_text(yaml.safe_dump({"base": base, "variants": variants}, sort_keys=False))
    return p


def test_the_draw_stream_does_not_depend_on_the_variant(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """Each group takes the same posterior draw in every variant: the draw's deviation from the
    scenario's own value is the same whatever else the variant changes."""
    base = with_uncertainty(make_scenario())
    other = with_uncertainty(make_scenario(
        {"parameters": {"council": {"coefficients": {"in_scope": 0.3}}}},
        crisis={"aggressor_strength": 9000, "exposure": {"KGZ": 0.9}}))
    a, b = compile_crisis(base, 0), compile_crisis(other, 0)
    assert a.posterior is not None and b.posterior is not None
    va, vb = draw_block(a, 11, 2).per_trial().values, draw_block(b, 11, 2).per_trial().values
    for name in ("council.coefficients.in_scope", "council.coefficients.affinity_victim",
                 "council.alliance_intercept", "request.threat"):
        dev_a = va[name] - a.posterior.centre[name]
        dev_b = vb[name] - b.posterior.centre[name]
        np.testing.assert_allclose(dev_a, dev_b, rtol=0, atol=1e-12)
    assert a.posterior.centre["council.coefficients.in_scope"] != \
        b.posterior.centre["council.coefficients.in_scope"]


def test_a_variant_equal_to_its_base_differs_by_exactly_nothing_with_parameters_drawn(
        tmp_path: Path) -> None:
    r = api.compare(_variants(tmp_path, {"same": {"title": "the same scenario"}}), trials=1500)
    assert r.parameter_uncertainty == {"csto-2021-autumn": "posterior", "same": "posterior"}
    for c in r.crises:
        assert c.value_band["same"] == c.value_band["csto-2021-autumn"]
        for d in c.differences:
            assert d.difference == 0.0 and d.se_paired == 0.0
            assert d.parameter_band == (0.0, 0.0) and d.parameter_sd == 0.0


def _brute(d: np.ndarray, level: float = LEVEL) -> tuple[float, float, float, float]:
    """A paired difference's cluster error, band and parameter sd straight from its trials."""
    g = np.arange(d.size) // GROUP
    n = np.bincount(g).astype(float)
    means = np.bincount(g, weights=d) / n
    sq = np.bincount(g, weights=d * d) / n
    N, mean = float(d.size), float(d.mean())
    between = float((n * (means - mean) ** 2).sum()) / N
    within = float((sq - means**2).sum()) / N
    var_param = max(between - within, 0.0)
    G = means.size
    se = float(np.sqrt(G / (G - 1) * float((n**2 * (means - mean) ** 2).sum())) / N)
    keep = n >= n.max() / 2
    shrink = np.sqrt(var_param / between) if between > 0 else 0.0
    shrunk = mean + shrink * (means[keep] - mean)
    tail = (1 - level) / 2
    return (se, float(np.quantile(shrunk, tail)), float(np.quantile(shrunk, 1 - tail)),
            float(np.sqrt(var_param)))


def test_paired_differences_split_into_monte_carlo_and_parameter_parts(
        tmp_path: Path, make_scenario) -> None:  # type: ignore[no-untyped-def]
    """The histogram reduction chunk by chunk equals the same sums over every trial: the
    cluster standard error, the band over the draws and their sd (a partial last group, several
    chunks); each run's value band and error equal results.bands' for a run."""
    base = make_scenario()
    variant = make_scenario({"alliance_changes": {"decision_rule": {"rule": "simple_majority"}}})
    trials = 2 * BLOCK + 300  # the last group has 44 trials: in the errors, not the quantiles
    r = api.compare([base, variant], names=["base", "majority"], trials=trials, seed=9)
    c = r.crises[0]
    runs = [run_chunk(compile_crisis(with_uncertainty(s), 0), 9, 0, 3, trials,
                      keep_trials=True).results for s in (base, variant)]
    by = {d.headline: d for d in c.differences}
    moved = 0
    for h, f in TRIAL_HEADLINES.items():
        xb, xv = (np.asarray(f(x), dtype=bool) for x in runs)  # type: ignore[arg-type]
        d = xv.astype(float) - xb.astype(float)
        se, lo, hi, sd = _brute(d)
        got = by[h]
        assert got.difference == pytest.approx(d.mean(), abs=1e-15)
        assert got.se_paired == pytest.approx(se, rel=1e-9, abs=1e-15)
        assert got.parameter_band is not None and got.parameter_sd is not None
        assert got.parameter_band == pytest.approx((lo, hi), rel=1e-9, abs=1e-12)
        assert got.parameter_sd == pytest.approx(sd, rel=1e-9, abs=1e-12)
        moved += hi - lo > 0
        g = np.arange(trials) // GROUP
        k, n = np.bincount(g, weights=xv), np.bincount(g).astype(float)
        assert c.value_se["majority"][h] == pytest.approx(cluster_se(k, n), rel=1e-9, abs=1e-15)
        assert c.value_band["majority"][h] == pytest.approx(band(k, n), rel=1e-9, abs=1e-12)
    assert moved >= 3  # the rule's effect moves with the parameters
    # beside it, what two independent runs (their own draws) would give: larger
    assert by["military help"].se_independent > by["military help"].se_paired
    frame = r.to_pandas()
    assert {"se_paired", "parameter_low", "parameter_high", "parameter_sd"} <= set(frame.columns)
    assert json.loads(r.model_dump_json())["crises"][0]["differences"][0]["parameter_band"]


def test_hist_quantile_is_numpys_linear_quantile() -> None:
    rng = np.random.default_rng(1)
    values = np.array([-0.5, -0.1, 0.0, 0.2, 0.7])
    for _ in range(50):
        count = rng.integers(0, 6, size=5)
        count[rng.integers(0, 5)] += 1
        for q in (0.0, 0.05, 0.5, 0.95, 1.0):
            assert hist_quantile(values, count, q) == pytest.approx(
                np.quantile(np.repeat(values, count), q), abs=1e-15)


def test_compare_off_and_the_file_that_says_off(tmp_path: Path) -> None:
    off = api.compare(_variants(tmp_path, {"two-thirds": {"alliance_changes": {
        "decision_rule": {"rule": "qualified_majority", "threshold": 0.667}}}}), trials=1500,
        parameter_uncertainty="off")
    assert set(off.parameter_uncertainty.values()) == {"off"}
    assert all(d.parameter_band is None and d.parameter_sd is None
               for c in off.crises for d in c.differences)
    assert all(not c.value_band for c in off.crises)
    # a base file that says off: off in every variant made from it, unless the option says so
    sc = yaml.safe_load(api.scenario_source("csto-2021-autumn"))
    sc.setdefault("parameters", {})["uncertainty"] = "off"
    base = tmp_path / "base-off.yaml"
    base.write_text(yaml.safe_dump(sc, sort_keys=False))
    path = _variants(tmp_path, {"same": {"title": "t"}}, base=str(base))
    assert set(api.compare(path, trials=300).parameter_uncertainty.values()) == {"off"}
    assert set(api.compare(path, trials=300, parameter_uncertainty="posterior"
                           ).parameter_uncertainty.values()) == {"posterior"}
    with pytest.raises(api.UsageError, match="parameter_uncertainty='maybe'"):
        api.compare(path, trials=300, parameter_uncertainty="maybe")


def test_compare_command_shows_both_parts(tmp_path: Path) -> None:
    path = str(_variants(tmp_path, {"two-thirds": {"alliance_changes": {
        "decision_rule": {"rule": "qualified_majority", "threshold": 0.667}}}}))
    on = _cli("compare", path, "-n", "1500")
    assert on.exit_code == 0, on.output
    assert "common parameter draws" in on.output
    assert re.search(r"[+-]\d+\.\d ± \d+\.\d \[\d+\.\d\]\s*\n.*band [+-]\d+\.\d to [+-]\d+\.\d",
                     on.output), on.output
    off = _cli("compare", path, "-n", "1500", "--parameter-uncertainty", "off")
    assert "band " not in off.output and "Parameters fixed" in off.output
    js = json.loads(_cli("compare", path, "-n", "1500", "--json").stdout)
    assert js["parameter_uncertainty"]["two-thirds"] == "posterior"
    diff = js["crises"][0]["differences"][0]
    assert {"se_paired", "parameter_band", "parameter_sd"} <= diff.keys()
    bad = _cli("compare", path, "-n", "10", "--parameter-uncertainty", "maybe")
    # cli.main turns it into one line and exit status 2, naming the flag
    assert isinstance(bad.exception, api.UsageError)
    assert bad.exception.describe(_flag).startswith("--parameter-uncertainty maybe: must be")


@pytest.mark.slow  # a minute: tracemalloc slows the per-group draws of the parameters
def test_compare_memory_does_not_grow_with_trials_under_parameter_draws() -> None:
    """The groups are reduced to histograms chunk by chunk: ten times the trials (320 groups
    more per crisis) add no per-group memory (issue 21's bound, with the parameters drawn)."""
    import tracemalloc

    from alliancesim.experiments.compare import compare
    from alliancesim.scenario.variants import load_variants

    variants = [(n, with_uncertainty(s)) for n, s in
                load_variants("examples/csto-variants.yaml")[:2]]

    def peak(trials: int) -> int:
        tracemalloc.start()
        try:
            report = compare(variants, trials, 1, chunk_size=4096)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert report.parameter_uncertainty == {n: "posterior" for n, _ in variants}

    peak(4096)  # compiled and warm
    small, large = peak(4096), peak(40960)
    assert large - small < 400_000, (small, large)


def test_one_group_falls_back_to_the_trials_own_error(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """With one group (up to 128 trials) the cluster error cannot be measured: the error is
    then the trial-by-trial one, never a silent 0."""
    base = make_scenario()
    variant = make_scenario({"alliance_changes": {"decision_rule": {"rule": "simple_majority"}}})
    r = api.compare([base, variant], names=["base", "majority"], trials=100, seed=2)
    runs = [run_chunk(compile_crisis(with_uncertainty(s), 0), 2, 0, 1, 100,
                      keep_trials=True).results for s in (base, variant)]
    checked = 0
    for d in r.crises[0].differences:
        f = TRIAL_HEADLINES[d.headline]
        xb, xv = (np.asarray(f(x), dtype=float) for x in runs)  # type: ignore[arg-type]
        diff = xv - xb
        assert d.se_paired == pytest.approx(diff.std(ddof=1) / np.sqrt(100), rel=1e-12,
                                            abs=1e-15)
        checked += d.se_paired > 0
    assert checked >= 1


def test_the_report_of_a_run_follows_the_run(tmp_path: Path, make_scenario,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A run made with the parameters fixed gets no parameter ranges in its report (off is off
    there too); one drawn but too short for a band gets them, as before."""
    import alliancesim.report.html as html

    seen: list[object] = []
    monkeypatch.setattr(html, "render", lambda record, parameter_ranges=None: (
        seen.append(parameter_ranges) or "<html></html>"))
    monkeypatch.setattr(api, "parameter_ranges", lambda sc, draws, seed: {"x": {}})
    store = tmp_path / "runs.duckdb"
    sc = make_scenario()
    for choice in ("off", "posterior"):
        ens = api.simulate(sc, trials=300, seed=1, by_request=False,
                           parameter_uncertainty=choice)
        run_id = api.record("run", ens.summary(), scenario=ens.scenario, seed=1, trials=300,
                            store=store)
        api.report(run_id, out=tmp_path / f"{choice}.html", store=store)
    assert seen == [None, {"x": {}}]


def test_sweep_follows_the_same_rule(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """The file's parameters.uncertainty over the default, the option over the file, in
    sweeps as in run and compare."""
    vary = {"crises.incursion.aggressor_strength": [4000.0]}
    unset = make_scenario()
    off = make_scenario({"parameters": {"uncertainty": "off"}})
    assert api.sweep(unset, vary=vary, trials=300).parameter_uncertainty == "posterior"
    assert api.sweep(off, vary=vary, trials=300).parameter_uncertainty == "off"
    assert api.sweep(off, vary=vary, trials=300,
                     parameter_uncertainty="posterior").parameter_uncertainty == "posterior"
