"""Writing results to a folder: per-trial Parquet, summary JSON, figures, the scenario used.

Everything is first written to a temporary folder beside the target and only then moved into
place, so an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from alliancesim.experiments.validation import HindcastReport
from alliancesim.report.plots import FIGURES
from alliancesim.results.ensemble import Ensemble, trial_frame
from alliancesim.results.trials import TrialResults
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.errors import UsageError

OUTPUT_FILES = ("trials.parquet", "summary.json", "scenario.yaml", *FIGURES)


def check_out_dir(out: Path) -> None:
    """Fail early (before any simulation) if `out` cannot be used."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    parent = out.parent if str(out.parent) else Path(".")
    probe = out if out.exists() else parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise UsageError(f"--out {out}: {probe} is not writable")


def scenario_yaml(ensemble: Ensemble) -> str:
    data = ensemble.scenario.model_dump(mode="json", by_alias=True)
    data["trials"], data["seed"] = ensemble.trials, ensemble.seed
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class ResultsWriter:
    """Writes a run's outputs into a temporary folder beside `out`, then moves them in.

    Per-trial results are streamed to Parquet chunk by chunk (write_trials), so an ensemble of
    any size is written in bounded memory.
    """

    def __init__(self, out: Path) -> None:
        check_out_dir(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        self._parquet: pq.ParquetWriter | None = None

    def write_trials(self, model: CompiledCrisis, results: TrialResults, first_trial: int
                     ) -> None:
        table = pa.Table.from_pandas(trial_frame(model, results, first_trial),
                                     preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.tmp / "trials.parquet", table.schema)
        self._parquet.write_table(table.cast(self._parquet.schema))

    def finish(self, ensemble: Ensemble) -> list[Path]:
        """Write the summary, scenario and figures; move everything into `out`."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        summary = ensemble.summary()
        (self.tmp / "summary.json").write_text(summary.model_dump_json(indent=2),
                                               encoding="utf-8")
        (self.tmp / "scenario.yaml").write_text(scenario_yaml(ensemble), encoding="utf-8")
        for name, make in FIGURES.items():
            make(summary, self.tmp / name)
        self.out.mkdir(exist_ok=True)
        written = []
        for name in OUTPUT_FILES:
            if (self.tmp / name).exists():
                os.replace(self.tmp / name, self.out / name)
                written.append(self.out / name)
        return written

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_results(ensemble: Ensemble, out: Path) -> list[Path]:
    """Write all outputs of an ensemble that kept its trials into `out`, atomically."""
    writer = ResultsWriter(out)
    try:
        for c, r in zip(ensemble.crises, ensemble.results, strict=True):
            writer.write_trials(c, r, 0)
        return writer.finish(ensemble)
    finally:
        writer.close()


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_hindcast(report: HindcastReport, out: Path) -> list[Path]:
    """hindcast.json and reliability.png, atomically."""
    from alliancesim.report.plots import reliability_figure

    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "hindcast.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
        bins = {k: [(b.mean_forecast, b.observed_frequency, b.count) for b in v]
                for k, v in report.reliability.items()}
        reliability_figure(bins, tmp / "reliability.png")
        out.mkdir(exist_ok=True)
        written = []
        for name in ("hindcast.json", "reliability.png"):
            os.replace(tmp / name, out / name)
            written.append(out / name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
