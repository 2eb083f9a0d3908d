"""Issue 22, item 3: a readable report for every kind of record, from Jinja2 templates, with its
figures, the datasets it rests on and one scenario SHA-256.

The validation records (hindcast, reliability fit, calibration) and a discovery are built here
from small invented reports (a real hindcast takes minutes): the pages are about what a record
holds, not how it was computed. A run is simulated (300 trials)."""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from alliancesim import api
from alliancesim.report import html, record_plots
from alliancesim.results.discovery import DiscoveryReport
from alliancesim.results.reliability import ReliabilityReport
from alliancesim.results.validation import CalibrationReport, HindcastReport
from alliancesim.scenario.schema import RUNGS
from alliancesim.store.digest import scenario_digest
from alliancesim.store.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "build" / "golden_atop9001_2008.yaml"  # built: tagged
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
KINDS = ("run", "compare", "hindcast", "discover", "reliability", "calibrate")


# --------------------------------------------------------------------------- invented records
def _diff(a: str, b: str, mean: float) -> dict[str, Any]:
    return {"a": a, "b": b, "mean": mean, "low": mean - 0.3, "high": mean + 0.25,
            "p_a_better": 0.6}


def hindcast_report() -> HindcastReport:
    """Three invented CSTO cases (bundled ids, so their files are found) and a NATO one."""
    forecasts = ["model", "alliance base rate", "frequency"]
    cases = []
    for i, (cid, obs) in enumerate([("csto_2010_kgz_osh", "consultations"),
                                    ("csto_2022_kaz_january", "military"),
                                    ("csto_2021_arm_may", "statement"),
                                    ("nato_2003_tur_iraq", "mission")]):
        model = [0.1, 0.1, 0.2 + 0.05 * i, 0.3 - 0.05 * i, 0.3]
        cases.append({"case_id": cid, "title": f"Case {i}", "request": "military",
                      "observed": obs, "model": model,
                      "p_observed": {f: model[RUNGS.index(obs)] for f in forecasts}})
    scores = {"model": -1.1, "alliance base rate": -1.2, "frequency": -0.9}
    brier = {"model": 0.7, "alliance base rate": 0.6, "frequency": 0.5}
    bins = [{"mean_forecast": 0.05, "observed_frequency": 0.1, "count": 10},
            {"mean_forecast": 0.4, "observed_frequency": 0.5, "count": 4},
            {"mean_forecast": 0.9, "observed_frequency": 1.0, "count": 2}]
    return HindcastReport.model_validate({
        "cases": cases, "log_score": scores, "brier": brier,
        "reliability": {"model": bins, "frequency": bins[:2]}, "prior_sd": 1.0,
        "burden_sharing": [], "outside_action": [],
        "differences": [_diff("model", "alliance base rate", 0.1),
                        _diff("model", "frequency", -0.2)],
        "by_alliance": {"csto": {"cases": 3, "log_score": scores, "brier": brier,
                                 "differences": [_diff("model", "frequency", -0.1)]}},
        "decline_eps": 0.05, "alliance_aware": ["alliance base rate"],
        "ablation": [{"name": "model", "what": "as calibrated", "log_score": -1.1,
                      "brier": 0.7, "by_alliance": {"csto": -1.4}, "versus_model": None}],
        "codings": [{"coding": "Osh as a statement", "recoded": {"csto_2010_kgz_osh": None},
                     "cases": 3, "log_score": scores, "brier": brier}],
        "contingents": [{"case_id": "csto_2022_kaz_january",
                         "trials_with_collective_military": 900, "simulated_leader_share": None,
                         "recorded_notes": "",
                         "members": [{"id": "RUS", "recorded": None, "simulated_mean": 6400.0,
                                      "p_sends": 1.0},
                                     {"id": "ARM", "recorded": 100, "simulated_mean": None,
                                      "p_sends": None}]}]})


def discovery_report() -> DiscoveryReport:
    steps = [{"coverage": 1 - 0.1 * k, "density": 0.3 + 0.08 * k, "mass": 1 - 0.15 * k}
             for k in range(6)]
    return DiscoveryReport.model_validate({
        "scenario": "invented", "crisis_id": "c1", "title": "An invented crisis",
        "outcome": "military help", "trials": 4000, "seed": 3, "version": "0.4.0",
        "inputs": ["aggressor_strength", "exposure.KAZ"], "base_rate": 0.3, "threshold": 0.7,
        "boxes": [{"coverage": 0.5, "density": 0.7, "mass": 0.25, "sentence": "a sentence",
                   "limits": [{"input": "aggressor_strength", "low": 2000, "high": 9000,
                               "restricted_low": True, "restricted_high": False}],
                   "trajectory": steps}]})


def reliability_report() -> ReliabilityReport:
    return ReliabilityReport.model_validate({
        "observations": 1200, "disputes": 300,
        "outcomes": {"did not join": 1000, "joined (no force)": 120, "joined (force)": 80},
        "dropped_no_ideal_points": 12, "excluded_for_cases": 3,
        "datasets": {"atop-members": "5.1", "mid-participants": "5.0"}, "log_likelihood": -812.5,
        "coefficients": [{"name": "defence pact", "value": 0.8, "se": 0.1, "low": 0.64,
                          "high": 0.96},
                         {"name": "affinity", "value": -0.2, "se": 0.15, "low": -0.45,
                          "high": 0.05}],
        "held_out": [{"scheme": "5-fold by dispute", "log_score": {"model": -0.4,
                                                                   "base rate": -0.5},
                      "brier": {"model": 0.2, "base rate": 0.25},
                      "auc": {"model": 0.71, "base rate": 0.5}}],
        "fulfilment": [{"what": "defence pacts honoured", "rate": 0.3, "n": 90}],
        "specification": "data/large_n_prior.yaml"})


def calibration_report(posterior: bool = True) -> CalibrationReport:
    names = ["coefficients.exposure", "cutpoints.1", "alliance_intercepts.csto"]
    cov = [[0.04, 0.01, 0.0], [0.01, 0.09, -0.02], [0.0, -0.02, 0.16]]
    data: dict[str, Any] = {
        "cases": ["csto_2010_kgz_osh", "csto_2022_kaz_january"], "prior_sd": 1.0,
        "log_likelihood": -20.5, "mean_log_score_in_sample": -1.2, "converged": True,
        "estimates": [{"name": n, "value": 0.5 - 0.3 * i, "se": 0.2 + 0.1 * i, "prior": 0.0}
                      for i, n in enumerate(names)],
        "council": {"model": "ordered_probit"}, "council_theta": [0.5, 0.2, -0.1],
        "council_cov": cov, "council_alliances": ["csto"]}
    if posterior:
        data["posterior"] = [{"name": n, "map": 0.5 - 0.3 * i, "mean": 0.48 - 0.3 * i,
                              "sd": 0.2, "q05": 0.1 - 0.3 * i, "q95": 0.85 - 0.3 * i,
                              "rhat": 1.01, "ess_bulk": 900.0, "ess_tail": 800.0}
                             for i, n in enumerate(names)]
        data["council_draws"] = [[0.5 + 0.01 * k, 0.2 - 0.01 * (k % 7), -0.1 + 0.02 * (k % 5)]
                                 for k in range(40)]
    return CalibrationReport.model_validate(data)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store holding one record of each kind: the run is of a scenario built from datasets
    (the golden build: ATOP, NMC, COW ... tags in its sources)."""
    store = tmp_path_factory.mktemp("store") / "runs.duckdb"
    ens = api.simulate(GOLDEN, trials=300, seed=5)
    ids = {"run": api.record("run", ens.summary(), scenario=ens.scenario, seed=5, trials=300,
                             store=store),
           "hindcast": api.record("hindcast", hindcast_report(), store=store),
           "discover": api.record("discover", discovery_report(),
                                  scenario=api.load_scenario("csto-2021-autumn"), seed=3,
                                  trials=4000, store=store),
           "reliability": api.record("reliability", reliability_report(), store=store),
           "calibrate": api.record("calibrate", calibration_report(), store=store),
           "compare": api.record("compare", api.compare(
               ["csto-2021-autumn", "examples/csto-two-thirds.yaml"], trials=128),
               store=store)}
    return store, ids


@pytest.fixture(scope="module")
def pages(kept: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, str]:
    store, ids = kept
    tmp = tmp_path_factory.mktemp("pages")
    return {k: api.report(rid, out=tmp / f"{k}.html", store=store, parameter_draws=0
                          ).read_text(encoding="utf-8") for k, rid in ids.items()}


def _text(page: str) -> str:
    """The page without its inline images (their base64 may spell anything)."""
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", page)


# --------------------------------------------------------------------------- every kind
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_a_readable_page_without_none(pages: dict[str, str], kind: str) -> None:
    page = _text(pages[kind])
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"\bNone\b", page), kind  # no "seed None", no "None trials"
    assert "<pre>{" not in page and '"report":' not in page  # no raw JSON
    figures = {"run": 3, "compare": 1, "hindcast": 3, "discover": 1, "reliability": 1,
               "calibrate": 2}
    assert pages[kind].count('src="data:image/png;base64,') >= figures[kind]
    assert "Sources and citation" in page and "@software{alliancesim" in page
    assert "<h1>" + html.TITLES[kind].split(" (")[0] in page


def test_the_hindcast_page(pages: dict[str, str]) -> None:
    page = _text(pages["hindcast"])
    # the scores against every baseline, all cases and per alliance
    assert "CSTO (3 cases)" in page and "all (4 cases)" in page
    for forecast in ("alliance base rate", "frequency"):
        assert f"<td>{forecast}</td>" in page
    # the reliability bins with their Wilson intervals; the cases predicted and observed
    low, high = record_plots.binomial_interval(1, 10)
    assert f"{100 * low:.1f}%–{100 * high:.1f}%" in page
    assert "csto_2022_kaz_january" in page and "model&#39;s most likely" in page
    assert "Osh as a statement" in page and "<td>6,400</td>" in page  # codings, contingents
    # no seed or trials in the record: left out, and the missing scenario said in words
    assert "seed" not in page.split("<h2>")[0].split("Kept as")[1].split("</p>")[0]
    assert "scenario SHA-256 not recorded" in page


def test_the_discover_calibrate_and_reliability_pages(pages: dict[str, str]) -> None:
    d = _text(pages["discover"])
    assert "coverage" in d and "density" in d and "aggressor_strength" in d
    assert "(no upper limit)" in d  # a side the box leaves open, said in words
    c = _text(pages["calibrate"])
    assert "coefficients.exposure" in c and "posterior 5-95%" in c and "correlation" in c
    assert "from the posterior draws (MCMC)" in c
    r = _text(pages["reliability"])
    assert "AUC: model" in r and "0.710" in r and "+0.640 to +0.960" in r


def test_a_calibration_without_the_posterior_says_so(tmp_path: Path) -> None:
    rid = api.record("calibrate", calibration_report(posterior=False),
                     store=tmp_path / "s.duckdb")
    page = _text(api.report(rid, out=tmp_path / "c.html", store=tmp_path / "s.duckdb")
                 .read_text())
    assert "was not drawn" in page and "from the Laplace covariance" in page
    assert not re.search(r"\bNone\b", page)


# --------------------------------------------------------------------------- provenance
def test_a_report_cites_the_datasets_its_scenario_was_built_from(pages: dict[str, str]) -> None:
    page = _text(pages["run"])
    sources = page[page.index("Sources and citation"):]
    # the golden build's tags: ATOP, NMC and the COW files, each with its release
    assert "release 3.0" in sources and "release 5.0" in sources
    assert sources.count("@") >= 4  # several BibTeX entries beside alliancesim's own
    assert "bundled data files" not in sources
    assert html.sources({"kind": "run", "report": {},
                         "scenario_yaml": GOLDEN.read_text()})["bibtex"] == \
        api.data_cite(GOLDEN)


def test_a_bundled_scenario_cites_the_bundled_files_and_a_case_its_datasets() -> None:
    bundled = html.sources({"kind": "run", "report": {},
                            "scenario_yaml": Path(api.__file__).parent.joinpath(
                                "data", "scenarios", "csto-2021-autumn.yaml").read_text()})
    assert "bundled data files" in bundled["said"] and not bundled["datasets"]
    # a hindcast over beyond cases built from datasets: their tags are cited
    beyond = html.sources({"kind": "hindcast",
                           "report": {"cases": [{"case_id": "rio_1964_venezuela"}]}})
    assert beyond["datasets"] and "bundled data files" not in beyond["said"]
    mine = html.sources({"kind": "hindcast", "report": {"cases": [{"case_id": "my_own"}]}})
    assert "my_own" in mine["said"]


def test_one_scenario_hash_for_the_store_and_run_json(tmp_path: Path) -> None:
    ens = api.simulate("csto-2021-autumn", trials=256, seed=2, out=tmp_path / "out")
    run_json = json.loads((tmp_path / "out" / "run.json").read_text())
    store = tmp_path / "runs.duckdb"
    rid = api.record("run", ens.summary(), scenario=ens.scenario, seed=2, trials=256,
                     store=store)
    kept = RunStore(store).get(rid)
    assert run_json["scenario_sha256"] == kept["scenario_sha256"] == scenario_digest(
        ens.scenario)
    page = api.report(rid, out=tmp_path / "r.html", store=store, parameter_draws=0).read_text()
    assert page.count(kept["scenario_sha256"]) == 1


def test_the_hash_is_of_the_canonical_dump(tmp_path: Path) -> None:
    """Comments, key order and a default spelled out do not change it; a value does."""
    base = api.load_scenario("csto-2021-autumn")
    data = yaml.safe_load(Path(api.__file__).parent.joinpath(
        "data", "scenarios", "csto-2021-autumn.yaml").read_text())
    reordered = tmp_path / "a.yaml"
    reordered.write_text("# a comment\n" + yaml.safe_dump(dict(reversed(list(data.items())))))
    assert scenario_digest(api.load_scenario(reordered)) == scenario_digest(base)
    changed = dict(data, seed=int(data.get("seed", 0)) + 1)
    other = tmp_path / "b.yaml"
    other.write_text(yaml.safe_dump(changed))
    assert scenario_digest(api.load_scenario(other)) != scenario_digest(base)


# --------------------------------------------------------------------------- pieces
def test_wilson_interval_is_scipys_and_the_textbook_formula() -> None:
    z, k, n = record_plots.Z90, 3, 10
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    low, high = record_plots.binomial_interval(k, n)
    assert low == pytest.approx(centre - half, abs=1e-9)
    assert high == pytest.approx(centre + half, abs=1e-9)
    exact = record_plots.binomial_interval(0, 5, method="exact")
    assert exact[0] == 0 and exact[1] == pytest.approx(1 - 0.05 ** (1 / 5))
    with pytest.raises(ValueError, match="successes"):
        record_plots.binomial_interval(4, 3)


def test_reports_come_from_autoescaped_templates() -> None:
    folder = resources.files("alliancesim.report") / "templates"
    names = {p.name for p in folder.iterdir()}
    assert {f"{k}.html.j2" for k in (*KINDS, "compare", "sweep", "sensitivity")} <= names
    source = Path(html.__file__).read_text()
    assert "<table" not in source and "<h3>" not in source and "<img" not in source
    # text from a record is never markup
    rec = {"id": "x", "kind": "discover", "created": "2026-01-01T00:00:00", "version": "0",
           "report": discovery_report().model_copy(update={
               "title": "<script>alert(1)</script>"}).model_dump()}
    page = html.render(rec)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_wheel_config_ships_the_templates() -> None:
    """hatch ships every file under the package folder that git does not ignore."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/alliancesim"]
    ignored = (ROOT / ".gitignore").read_text() if (ROOT / ".gitignore").exists() else ""
    assert not re.search(r"(^|/)(templates|\*\.j2|\*\.css)\b", ignored, re.M)


def test_the_report_command_writes_a_hindcast_page(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alliancesim.cli import app

    store = tmp_path / "runs.duckdb"
    rid = api.record("hindcast", hindcast_report(), store=store)
    out = tmp_path / "h.html"
    r = CliRunner().invoke(app, ["--store", str(store), "report", rid, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Scores against every baseline" in out.read_text()


def test_a_kept_comparison_cites_its_base_scenarios_datasets(tmp_path: Path) -> None:
    """compare keeps its base scenario with the record (it kept none: "not recorded")."""
    from typer.testing import CliRunner

    from alliancesim.cli import app

    store = tmp_path / "runs.duckdb"
    r = CliRunner().invoke(app, ["--store", str(store), "compare", "examples/csto-variants.yaml",
                                 "-n", "256", "--parameter-uncertainty", "off", "--json"])
    assert r.exit_code == 0, r.output
    (kept,) = api.results_list(store=store)
    page = html.render(RunStore(store).get(kept.id))
    sources = page.split("Sources and citation", 1)[1]
    assert "not recorded" not in sources
    assert "UN General Assembly ideal points" in sources  # what the CSTO's bundled values cite


# --------------------------------------------------------------------------- in a browser
@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_every_kind_opens_in_chromium_with_its_figures_and_fits_the_window(
        kept: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    store, ids = kept
    ids = dict(ids)  # and the analyses run for real
    disc = api.load_scenario("examples/armenia-uncertain-council.yaml")
    ids["discover (PRIM)"] = api.record("discover", api.discover(
        disc, crisis=disc.crises[0].id, trials=2000, seed=1, threshold=0.5), scenario=disc,
        seed=1, trials=2000, store=store)
    ids["calibrate (MAP)"] = api.record("calibrate", api.calibrate(posterior=False),
                                        store=store)
    ids["sweep"] = api.record("sweep", api.sweep(
        "csto-2021-autumn", vary=["parameters.council.coefficients.leader_stake=0:2:3"],
        trials=300), store=store)
    ids["sensitivity"] = api.record("sensitivity", api.sensitivity(
        "examples/armenia-uncertain-council.yaml", samples=16), store=store)
    ARTIFACTS.mkdir(exist_ok=True)
    width = 1100
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for kind, rid in ids.items():
                path = api.report(rid, out=tmp_path / f"{rid}.html", store=store,
                                  parameter_draws=0)
                page.goto(path.as_uri())
                shown = page.evaluate("Array.from(document.images).filter("
                                      "i => i.complete && i.naturalWidth > 0 && "
                                      "i.naturalHeight > 0).length")
                assert shown == page.evaluate("document.images.length") >= 1, kind
                text = page.evaluate("document.body.innerText")
                assert not re.search(r"\bNone\b", text), kind
                assert not re.search(r"\bNone\b", _text(path.read_text())), kind
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (kind, scroll)  # no 2,000 px of JSON
                page.screenshot(path=str(ARTIFACTS / f"report22-{kind.split()[0]}.png"),
                                full_page=True)
        finally:
            browser.close()
