"""The member model on the large-N record: the ally-dispute record, the ordered probit, scores."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import SHARED, needs_shared
from tests.test_datasets import fixture_store

from alliancesim import api
from alliancesim.datasets.allies import FEATURES, build_record
from alliancesim.datasets.store import DataStore
from alliancesim.experiments import reliability as rl


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    return fixture_store(tmp_path_factory.mktemp("data") / "d.duckdb")


def test_the_record_from_the_fixtures(store: DataStore) -> None:
    rec = build_record(store)
    # dispute 9100 (2008): Azerbaijan (side A) against Armenia (side B); Armenia's allies in
    # 2008 (ATOP dyads of the fixture): Russia and Belarus; Russia joined on Armenia's side
    # later (orig 0, hostility 3): a join without force. Dispute 9101 (2010): the USA against
    # Russia, whose allies Belarus and Armenia stayed out.
    rows = {(int(d), int(a)): int(y) for d, a, y in zip(rec.dispute, rec.ally, rec.y,
                                                       strict=True)}
    assert rows == {(9100, 365): 1, (9100, 370): 0, (9101, 370): 0, (9101, 371): 0}
    assert rec.x.shape == (4, len(FEATURES))
    rus = rec.x[list(rec.ally).index(365)]
    assert rus[FEATURES.index("major_power")] == 1.0
    assert rus[FEATURES.index("unconditional")] == 1.0
    assert rus[FEATURES.index("capability")] == pytest.approx(np.log(1018 / 83))


def test_the_ordered_probit_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    x = rng.normal(size=(n, 3))
    beta = np.array([0.8, -0.5, 0.0])
    s = x @ beta + rng.standard_normal(n)
    y = (s > 1.0).astype(int) + (s > 2.0).astype(int)
    theta, cov, _ = rl.fit(x, y)
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(theta[:3] - beta) < 4 * se[:3])
    assert theta[3] == pytest.approx(1.0, abs=4 * se[3])
    assert theta[3] + np.exp(theta[4]) == pytest.approx(2.0, abs=0.1)


def test_auc() -> None:
    assert rl.auc(np.array([0.1, 0.2, 0.3, 0.4]), np.array([False, False, True, True])) == 1.0
    assert rl.auc(np.array([0.4, 0.3, 0.2, 0.1]), np.array([False, False, True, True])) == 0.0
    assert rl.auc(np.array([0.5, 0.5]), np.array([False, True])) == 0.5


@needs_shared("datasets", "cow_mid", "MIDB_5.0.csv")
def test_the_member_model_on_the_published_record(tmp_path_factory: pytest.TempPathFactory
                                                  ) -> None:
    s = DataStore(tmp_path_factory.mktemp("real") / "d.duckdb")
    d = SHARED / "datasets"
    for kind, rel in [("mid-participants", "cow_mid/MIDB_5.0.csv"),
                      ("atop-dyads", "peacesciencer_derived/atop_alliance.csv"),
                      ("atop-members", "atop/atop-member-level.csv"),
                      ("atop-alliances", "atop/atop-alliance-level.csv"),
                      ("nmc", "peacesciencer_derived/cow_nmc.csv"),
                      ("cow-majors", "cow_states/majors2016.csv"),
                      ("ideal-points", "unga_idealpoints/IdealpointsJuly2025.csv"),
                      ("reliability-bf2018",
                       "alliance_reliability/BerkemeierFuhrmannRAP2018_0303.csv")]:
        s.import_file(kind, d / rel)
    r = api.reliability_fit(data_store=s.path)
    assert r.observations > 15_000 and r.disputes > 900 and r.excluded_for_cases > 0
    joins = r.outcomes["joined without force"] + r.outcomes["joined with force"]
    assert 20 <= joins <= 100
    coef = {c.name: c for c in r.coefficients}
    assert coef["affinity_victim"].low > 0 and coef["major_power"].low > 0
    for h in r.held_out:
        assert 0.5 < h.auc["model"] < 1.0
    # the bundled cases, scored by the frozen model: features by the record's own function
    assert len(r.cases) == 17
    assert {c.case_id for c in r.cases if c.joined} == {
        "csto_2022_kaz_january", "nato_2001_art5_usa", "nato_2003_tur_iraq",
        "nato_2012_tur_patriot", "nato_2022_eight_members"}
    for c in r.cases:
        assert all(0.0 < p < 1.0 for p in c.probabilities.values())
    assert set(r.case_log_score) == {"model", "base rate per ally", "base rate per dispute"}
    rates = {f.what: f.rate for f in r.fulfilment}
    assert "reliability-bf2018" in r.datasets  # the codings the rates read, cited on the page
    assert rates["Berkemeier & Fuhrmann recodings, their whole sample"] == pytest.approx(0.5,
                                                                                       abs=0.02)
