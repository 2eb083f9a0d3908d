"""Stored results: files (Parquet, JSON, YAML) written atomically into a folder
(``store.files``), and the checks on an output folder made before any work (``store.checks``).

Import the submodules: this package imports nothing itself, so that checking an output folder
does not load pyarrow.
"""
