"""Stored results: files (Parquet, JSON, YAML) written atomically into a folder."""

from __future__ import annotations

from alliancesim.store.files import (
    ResultsWriter,
    check_out_dir,
    scenario_yaml,
    write_folder,
    write_text_atomic,
)

__all__ = ["ResultsWriter", "check_out_dir", "scenario_yaml", "write_folder",
           "write_text_atomic"]
