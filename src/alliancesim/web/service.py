"""What the app does with a request: check it against the limits, queue its work, keep its
result. Every piece of work is one api call (api.simulate, api.compare, api.sweep,
api.hindcast) recorded with api.record, as the command line records it (cli._keep), so a run
here and `alliancesim run` with the same scenario and seed give the same summary.

A run's files (trials.parquet, summary.json, scenario.yaml and the figures api.simulate
writes; report.html when first asked for) go into FILES/<run id>/: the api writes them into a
folder named for the job, swapped in whole (store/files.py); once the record is in the store
the folder is renamed to the run's id. A job that fails or is cancelled before its record is
kept leaves no record and no folder under a run id (the store stays consistent).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alliancesim import api
from alliancesim.results.sequence import SequenceComparison
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.limits import MAX_SEED
from alliancesim.scenario.schema import Scenario
from alliancesim.web import inputs
from alliancesim.web.inputs import ScenarioInput
from alliancesim.web.jobs import Job, JobContext, JobManager
from alliancesim.web.settings import WebSettings

RUN_ID = re.compile(r"^[0-9a-f]{12}$")
DOWNLOADS = {"summary.json": "application/json", "scenario.yaml": "application/yaml",
             "report.html": "text/html", "trials.parquet": "application/vnd.apache.parquet"}
Uncertainty = Literal["posterior", "off"]
MAX_ASKED_TRIALS = 1_000_000_000  # the schema's bound; the server's own limit is below it


class RunRequest(BaseModel):
    """Run one scenario (api.simulate)."""

    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioInput
    trials: int | None = Field(default=None, ge=1, le=MAX_ASKED_TRIALS,
                               description="Trials per crisis (default: the scenario's).")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED,
                             description="Random seed (default: the scenario's).")
    parameter_uncertainty: Uncertainty | None = None
    by_request: bool = True


class CompareRequest(BaseModel):
    """Compare two or more variants under common random numbers (api.compare); the first is
    the base."""

    model_config = ConfigDict(extra="forbid")
    variants: list[ScenarioInput] = Field(min_length=2, max_length=100)
    trials: int | None = Field(default=None, ge=1, le=MAX_ASKED_TRIALS)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    parameter_uncertainty: Uncertainty | None = None


class SweepRequest(BaseModel):
    """Sweep inputs over a grid or Latin hypercube (api.sweep): vary maps a dotted path to
    "LOW:HIGH:STEPS" or a list of values."""

    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioInput
    vary: dict[str, str | list[Any]] = Field(min_length=1, max_length=10)
    lhs: int | None = Field(default=None, ge=1, le=10_000)
    trials: int | None = Field(default=None, ge=1, le=MAX_ASKED_TRIALS)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    parameter_uncertainty: Uncertainty | None = None


class HindcastRequest(BaseModel):
    """Leave-one-out forecasts of a bundled set of cases, scored against the baselines
    (api.hindcast; the ablation and the contested codings left out: seconds, not minutes)."""

    model_config = ConfigDict(extra="forbid")
    cases: Literal["bundled", "beyond"] = "bundled"


class SequenceRequest(BaseModel):
    """Run a scenario's dated crises as a sequence, each member's belief carried from one to
    the next (api.sequence; docs/model.md §7). observed: force every crisis's observed
    response; set: CRISIS=RUNG to force (e.g. armenia-2022=military) and rule another
    decision rule (consensus, qualified_majority[:SHARE], simple_majority, leader): with
    either, the baseline is run beside it with the same seed and the record is the paired
    comparison (kind sequence-comparison), else kind sequence."""

    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioInput
    trials: int | None = Field(default=None, ge=1, le=MAX_ASKED_TRIALS,
                               description="Trials (default: the scenario's).")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED,
                             description="Random seed (default: the scenario's).")
    observed: bool = Field(default=False, strict=True,
                           description="Force every crisis's observed response (true/false).")
    set: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100, description="CRISIS=RUNG, e.g. "
        "armenia-2022=military (rungs: none, statement, consultations, mission, military).")
    rule: str | None = Field(default=None, max_length=60, description="consensus, "
                             "qualified_majority[:SHARE], simple_majority or leader.")
    parameter_uncertainty: Uncertainty | None = None


class BuildRequest(BaseModel):
    """Build a scenario from the imported datasets (api.data_build): an alliance (a name,
    atop:ID or cow:ID) in a year, the crisis one of api.data_crises's ids (default: the most
    severe attack on a member's territory in the window)."""

    model_config = ConfigDict(extra="forbid")
    alliance: str = Field(min_length=1, max_length=60)
    year: int = Field(ge=1816, le=2100)
    crisis: str | None = Field(default=None, max_length=60)
    victim: str | None = Field(default=None, max_length=40)
    aggressor: str | None = Field(default=None, max_length=40)
    threat: str | None = Field(default=None, max_length=40)
    date: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    window: int | None = Field(default=None, ge=0, le=50)


class Service:
    """The app's state: its settings, its job queue and the lock around the results store
    (DuckDB allows one writer per file; the app's threads take turns)."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.jobs = JobManager(settings.concurrency, settings.max_queue)
        self.store_lock = threading.Lock()
        self.data_lock = threading.Lock()

    # ------------------------------------------------------------------ inputs and limits
    @property
    def files(self) -> Path:
        return self.settings.files_path()

    def scenario(self, given: ScenarioInput, where: str = "scenario") -> Scenario:
        return inputs.load(given, self.files, max_bytes=self.settings.upload_bytes,
                           where=where)

    def _trials(self, asked: int | None, sc: Scenario) -> int:
        n = asked if asked is not None else sc.trials
        if n > self.settings.max_trials:
            raise UsageError(f"at most {self.settings.max_trials:,} trials per crisis on this "
                             "server (alliancesim serve --max-trials)", param="trials", value=n)
        return n

    def _backend(self) -> dict[str, Any]:
        s = self.settings
        return {"backend": s.backend, "workers": s.workers, "address": s.address}

    # ------------------------------------------------------------------ keeping results
    def _record(self, kind: str, report: Any, scenario: Scenario | None, seed: int | None,
                trials: int | None) -> str:
        with self.store_lock:
            return api.record(kind, report, scenario=scenario, seed=seed, trials=trials,
                              store=self.settings.store_path())

    def _place(self, folder: Path | None, run_id: str) -> None:
        """Move a job's finished folder to FILES/<run id>."""
        if folder is not None and folder.is_dir():
            folder.replace(self.files / run_id)

    def _job_folder(self, ctx: JobContext) -> Path:
        self.files.mkdir(parents=True, exist_ok=True)
        return self.files / f".job-{ctx.job.id}"

    def check_store(self) -> None:
        with self.store_lock:
            api.check_store(self.settings.store_path())

    # ------------------------------------------------------------------ work
    def start_run(self, req: RunRequest) -> Job:
        sc = self.scenario(req.scenario)
        n = self._trials(req.trials, sc)
        self.check_store()
        total = api.trials_to_run(sc, n, by_request=req.by_request)

        def work(ctx: JobContext) -> str:
            ctx.progress(0, total, "simulating")
            out = self._job_folder(ctx)
            try:
                ens = api.simulate(sc, trials=n, seed=req.seed, keep_trials=False, out=out,
                                   parameter_uncertainty=req.parameter_uncertainty,
                                   by_request=req.by_request,
                                   progress=lambda k: ctx.progress(add=k), **self._backend())
                ctx.progress(message="keeping the result")
                run_id = self._record("run", ens.summary(), ens.scenario, ens.seed, ens.trials)
            except BaseException:
                shutil.rmtree(out, ignore_errors=True)
                raise
            self._place(out, run_id)
            return run_id

        return self.jobs.submit("run", sc.name, work)

    def start_compare(self, req: CompareRequest) -> Job:
        if len(req.variants) > self.settings.max_variants:
            raise UsageError(f"at most {self.settings.max_variants} variants on this server",
                             param="variants", value=len(req.variants))
        loaded = [self.scenario(v, f"variants.{i}") for i, v in enumerate(req.variants)]
        labels = [v.label or v.name or s.name for v, s in zip(req.variants, loaded, strict=True)]
        n = self._trials(req.trials, loaded[0])
        self.check_store()

        def work(ctx: JobContext) -> str:
            ctx.progress(0, len(loaded[0].crises), "comparing")
            variants: list[str | Path | Scenario] = [*loaded]
            report = api.compare(variants, trials=n, seed=req.seed,
                                 names=labels,
                                 progress=lambda m: ctx.progress(message=m, add=1),
                                 parameter_uncertainty=req.parameter_uncertainty,
                                 **self._backend())
            ctx.progress(message="keeping the result")
            return self._record("compare", report, loaded[0], report.seed, report.trials)

        return self.jobs.submit("compare", " vs ".join(labels), work)

    def sweep_points(self, req: SweepRequest) -> int:
        """The sweep's number of points (the api's own parsing of vary), checked against the
        server's limit."""
        axes = api._axes(dict(req.vary))  # the same parsing api.sweep does
        n = req.lhs if req.lhs is not None else 1
        if req.lhs is None:
            for a in axes:
                n *= a.size
        if n > self.settings.max_sweep_points:
            raise UsageError(f"at most {self.settings.max_sweep_points} points on this server "
                             "(alliancesim serve --max-sweep-points)",
                             param="lhs" if req.lhs is not None else "vary", value=n)
        return n

    def start_sweep(self, req: SweepRequest) -> Job:
        sc = self.scenario(req.scenario)
        points = self.sweep_points(req)
        n = self._trials(req.trials, sc)
        self.check_store()

        def work(ctx: JobContext) -> str:
            ctx.progress(0, points, "sweeping")
            report = api.sweep(sc, vary=dict(req.vary), lhs=req.lhs, trials=n, seed=req.seed,
                               parameter_uncertainty=req.parameter_uncertainty,
                               progress=lambda k, total: ctx.progress(
                                   k, total, f"point {k} of {total} done"),
                               **self._backend())
            ctx.progress(message="keeping the result")
            return self._record("sweep", report, sc, report.seed, report.trials)

        return self.jobs.submit("sweep", sc.name, work)

    def start_hindcast(self, req: HindcastRequest) -> Job:
        self.check_store()

        def work(ctx: JobContext) -> str:
            ctx.progress(0, None, "fitting")
            report = api.hindcast(req.cases, ablation=False, codings=False,
                                  progress=lambda m: ctx.progress(message=m))
            ctx.progress(message="keeping the result")
            return self._record("hindcast", report, None, None, None)

        return self.jobs.submit("hindcast", req.cases, work)

    def start_sequence(self, req: SequenceRequest) -> Job:
        """Queue a sequence; every check api.sequence makes before its work (dates, trials,
        observed, set, rule) is made here first, so bad input is a 4xx, never a failed job."""
        sc = self.scenario(req.scenario)
        n = self._trials(req.trials, sc)
        rule = req.rule.strip() if req.rule and req.rule.strip() else None
        api.check_sequence(sc, trials=n, observed=req.observed, set=req.set, rule=rule)
        self.check_store()
        runs = 2 if req.set or rule is not None else 1

        def work(ctx: JobContext) -> str:
            ctx.progress(0, runs * len(sc.crises), "running the sequence")
            report = api.sequence(sc, trials=n, seed=req.seed, observed=req.observed,
                                  set=req.set, rule=rule,
                                  parameter_uncertainty=req.parameter_uncertainty,
                                  progress=lambda m: ctx.progress(message=f"crisis {m}",
                                                                  add=1))
            ctx.progress(message="keeping the result")
            base = report.baseline if isinstance(report, SequenceComparison) else report
            return self._record(report.kind, report, sc, base.seed, base.trials)

        return self.jobs.submit("sequence", sc.name, work)

    # ------------------------------------------------------------------ the store
    def results(self) -> list[dict[str, Any]]:
        """Every kept record, newest first (an empty list while the store does not exist)."""
        if not self.settings.store_path().exists():
            return []
        with self.store_lock:
            rows = api.results_list(store=self.settings.store_path())
        return [r.model_dump(mode="json") for r in rows]

    def record(self, run_id: str) -> dict[str, Any] | None:
        """One record, or None for an id that is not in the store (or not an id at all)."""
        if not RUN_ID.match(run_id) or not self.settings.store_path().exists():
            return None
        with self.store_lock:
            try:
                return api.results_show(run_id, store=self.settings.store_path())
            except UsageError:
                if any(r.id == run_id for r in api.results_list(
                        store=self.settings.store_path())):
                    raise
                return None

    def latest(self, kind: str) -> dict[str, Any] | None:
        """The newest record of a kind."""
        for row in self.results():
            if row["kind"] == kind:
                return self.record(row["id"])
        return None

    def download(self, run_id: str, name: str) -> tuple[bytes | Path, str] | None:
        """One download of a kept record (summary.json, scenario.yaml, report.html,
        trials.parquet): its content or file and media type; None when it does not exist."""
        if name not in DOWNLOADS or not RUN_ID.match(run_id):
            return None
        rec = self.record(run_id)
        if rec is None:
            return None
        folder = self.files / run_id
        media = DOWNLOADS[name]
        if name == "summary.json":
            return json.dumps(rec["report"], indent=2).encode("utf-8") + b"\n", media
        if name == "scenario.yaml":
            text = rec.get("scenario_yaml")
            return (text.encode("utf-8"), media) if text else None
        if name == "trials.parquet":
            path = folder / "trials.parquet"
            return (path, media) if path.is_file() else None
        path = folder / "report.html"
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            with self.store_lock:
                api.report(run_id, out=path, store=self.settings.store_path())
        return path, media

    def downloads(self, run_id: str) -> list[str]:
        """The downloads a record has."""
        rec = self.record(run_id)
        if rec is None:
            return []
        names = ["summary.json", "report.html"]
        if rec.get("scenario_yaml"):
            names.insert(1, "scenario.yaml")
        if (self.files / run_id / "trials.parquet").is_file():
            names.append("trials.parquet")
        return names

    # ------------------------------------------------------------------ the data store
    def datasets(self) -> list[dict[str, Any]]:
        """What the data store holds (kind, title, release, rows, years, citation); the file
        each was imported from is not shown."""
        with self.data_lock:
            rows = api.data_list(data_store=self.settings.data_store)
        return [{k: v for k, v in r.model_dump(mode="json").items() if k != "path"}
                for r in rows]

    def crises(self, alliance: str, year: int, window: int | None = None
               ) -> tuple[list[dict[str, Any]], list[str]]:
        """The candidate crises of an alliance in the window to a year (api.data_crises)."""
        with self.data_lock:
            found, notes = api.data_crises(alliance, year=year, window=window,
                                           data_store=self.settings.data_store)
        return [c.as_dict() for c in found], notes

    def build(self, req: BuildRequest) -> tuple[str, list[str]]:
        """Build a scenario (api.data_build) and keep it as an uploaded one: its name
        (user:NAME) and the build's notes."""
        with self.data_lock:
            built = api.data_build(req.alliance, year=req.year, crisis=req.crisis,
                                   victim=req.victim, aggressor=req.aggressor,
                                   threat=req.threat, date=req.date, window=req.window,
                                   data_store=self.settings.data_store)
        name = inputs.save_upload(built.to_yaml(), self.files,
                                  max_bytes=self.settings.upload_bytes)
        return name, list(built.notes)
