"""Writing results to a folder: per-trial Parquet, summary JSON, the scenario used, and any
further files the caller makes (the figures).

Everything is first written to a temporary folder beside the target and only then moved into
place, so an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from alliancesim.engine import TrialResults
from alliancesim.results.ensemble import Ensemble, trial_frame
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.store.checks import check_out_dir

# a file the caller makes: given its path in the temporary folder, write it
FileMaker = Callable[[Path], None]


def scenario_yaml(ensemble: Ensemble) -> str:
    data = ensemble.scenario.model_dump(mode="json", by_alias=True)
    data["trials"], data["seed"] = ensemble.trials, ensemble.seed
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _move_in(tmp: Path, out: Path, names: list[str]) -> list[Path]:
    out.mkdir(exist_ok=True)
    written = []
    for name in names:
        if (tmp / name).exists():
            os.replace(tmp / name, out / name)
            written.append(out / name)
    return written


class ResultsWriter:
    """Writes a run's outputs into a temporary folder beside `out`, then moves them in.

    Per-trial results are streamed to Parquet chunk by chunk (write_trials), so an ensemble of
    any size is written in bounded memory. Use as a context manager: the temporary folder is
    removed on exit, whatever happened.
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

    def finish(self, ensemble: Ensemble, extra: Mapping[str, FileMaker] | None = None
               ) -> list[Path]:
        """Write the summary, the scenario and the `extra` files; move everything into `out`."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        summary = ensemble.summary()
        (self.tmp / "summary.json").write_text(summary.model_dump_json(indent=2),
                                               encoding="utf-8")
        (self.tmp / "scenario.yaml").write_text(scenario_yaml(ensemble), encoding="utf-8")
        for name, make in (extra or {}).items():
            make(self.tmp / name)
        return _move_in(self.tmp, self.out,
                        ["trials.parquet", "summary.json", "scenario.yaml", *(extra or {})])

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def write_folder(out: Path, files: Mapping[str, FileMaker]) -> list[Path]:
    """Make every file in a temporary folder beside `out`, then move them all in."""
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, make in files.items():
            make(tmp / name)
        return _move_in(tmp, out, list(files))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
