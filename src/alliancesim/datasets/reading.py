"""Read one published file into a checked, canonical table (in a DuckDB connection).

`stage(con, kind, path, release)` reads the file (CSV in UTF-8 or Latin-1, gzipped CSV as
.csv.gz, or Stata .dta), recognises its layout from the header, converts it to the kind's
canonical columns (leaving out rows a re-save adds, gathering rows it spreads, adding the
reverse of one-way dyads, COW codes for Gleditsch-Ward codes), and checks it: every number and
date parses, every COW code is a state code, the kind's own rules hold, keys are unique, and
the years reach the end of a known release (a file cut short is refused as truncated). Problems
raise `DatasetError` naming the file, the column, the line and what would be valid; nothing
is written to the store until every check has passed (datasets.store commits in one
transaction).
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from alliancesim._duckdb import duckdb
from alliancesim.datasets.codes import ccode_of_name, cow_of_gw
from alliancesim.datasets.kinds import KINDS, Kind, Layout
from alliancesim.scenario.errors import Problem, ScenarioError

# A whole-number cell of 16 digits or more is refused: none is a code, a year or a count, and
# past 2**63 (BIGINT's bound) the cast fails with a DuckDB error.
WHOLE_MAX = 1e15
MAX_FILE_BYTES = 2_000_000_000  # a larger file is not any of these datasets
# A .gz file is refused once this many bytes have come out of it: the limit applies to what is
# read, not to the compressed size (a 6.4 MB cow-codes.csv.gz expanded to 3.3 GB and spilled
# 24 GB into the store's temporary folder).
MAX_DECOMPRESSED_BYTES = MAX_FILE_BYTES
TRANSCODE_MAX = 100_000_000  # Windows-1252 files are re-encoded in memory up to this size
YEAR_MAX = datetime.date.today().year + 1


class DatasetError(ScenarioError):
    """A dataset file that cannot be imported: which file, which line and column, what is wrong.
    """

    def __init__(self, path: Path | str, message: str, *, line: int | None = None,
                 column: str = "") -> None:
        super().__init__([Problem(source=str(path), field=f"column '{column}'" if column else "",
                                  message=message, line=line)])


@dataclass(frozen=True)
class Staged:
    """A file read and checked into the temporary table `staged`."""

    kind: Kind
    layout: Layout
    release: str
    rows: int
    first_year: int | None
    last_year: int | None
    notes: tuple[str, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _read_raw(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Load the file as text columns into `raw`, with its line number in `_line`."""
    if path.suffix.lower() == ".dta":
        import pandas as pd

        try:
            frame = pd.read_stata(path, convert_categoricals=False)
        except Exception as exc:  # pandas raises many types for a bad .dta
            raise DatasetError(path, f"not a readable Stata file ({exc})") from None
        frame = frame.astype("string")
        frame.insert(0, "_line", range(1, len(frame) + 1))
        con.register("raw_frame", frame)
        con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM raw_frame")
        con.unregister("raw_frame")
        return
    last_error = ""
    for encoding in ("utf-8", "latin-1", "cp1252"):
        source = path
        if encoding == "cp1252":  # DuckDB reads UTF-8/16 and Latin-1; Windows-1252 via a copy
            if path.stat().st_size > TRANSCODE_MAX or _gzipped(path):
                break
            text = path.read_bytes().decode("cp1252", errors="replace")
            with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8",
                                             delete=False) as tmp:
                tmp.write(text)
            source = Path(tmp.name)
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS _line, "
                f"* FROM read_csv({_sql_path(source)}, all_varchar = true, header = true, "
                f"delim = ',', quote = '\"', "
                f"encoding = '{'utf-8' if source is not path else encoding}', "
                f"strict_mode = true, null_padding = false, sample_size = -1, "
                # by the name alone, as checked (_check_decompressed): never another codec
                f"compression = '{'gzip' if _gzipped(source) else 'none'}', "
                # text only: the sniffer's trial casts of a 1-MB run of digits took 15 s
                "auto_type_candidates = ['VARCHAR'])")
            return
        except duckdb.Error as exc:
            last_error = str(exc)
            low = last_error.lower()
            if "unicode" in low or "is not utf-8" in low or "is not latin-1" in low:
                continue
            break
        finally:
            if source is not path:
                source.unlink(missing_ok=True)
    first = last_error.splitlines()[0] if last_error else "unreadable"
    m = re.search(r"Line: (\d+)", last_error)
    where = f" near line {m.group(1)}" if m else ""
    ragged = _ragged_line(path)
    if ragged is not None:
        raise DatasetError(path, f"{ragged[1]} field(s) where the header has {ragged[2]}: a "
                           "truncated or damaged file", line=ragged[0])
    raise DatasetError(path, f"not a readable CSV file{where} ({first.strip()[:300]})")


def _ragged_line(path: Path) -> tuple[int, int, int] | None:
    """The first line whose number of fields differs from the header's (streamed)."""
    import csv

    with (gzip.open(path, "rt", newline="", encoding="latin-1") if _gzipped(path)
          else path.open(newline="", encoding="latin-1")) as fh:
        rows = csv.reader(fh)
        try:
            width = len(next(rows))
            for n, row in enumerate(rows, start=2):
                if row and len(row) != width:
                    return n, len(row), width
        except (csv.Error, EOFError, OSError, zlib.error):  # a damaged or cut gzip stream
            return None
    return None


def _check_decompressed(path: Path, kind_title: str) -> None:
    """Refuse a .gz file whose content exceeds MAX_DECOMPRESSED_BYTES, counted while it is
    decompressed (streamed, 1 MB at a time: memory does not grow with the file), before DuckDB
    reads it; a damaged stream is refused too."""
    limit = MAX_DECOMPRESSED_BYTES
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                total += len(block)
                if total > limit:
                    raise DatasetError(path, f"decompresses to more than {_size(limit)}, more "
                                       f"than any {kind_title} file (a damaged file or a "
                                       "compression bomb); refused")
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: damaged deflate data
        raise DatasetError(path, f"not a readable CSV file (a damaged gzip stream: {exc})"
                           ) from None


def _size(n: int) -> str:
    return f"{n / 1e9:g} GB" if n >= 1_000_000_000 else f"{n / 1e6:g} MB" \
        if n >= 1_000_000 else f"{n:,} bytes"


def _gzipped(path: Path) -> bool:
    """A .gz file (DuckDB reads gzip-compressed CSV itself, by the name's ending)."""
    return path.suffix.lower() == ".gz"


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Lower-cased, trimmed header name -> the name as read."""
    names = [r[0] for r in con.execute("DESCRIBE raw").fetchall() if r[0] != "_line"]
    return {n.strip().lstrip("\ufeff").lower(): n for n in names}


def _pick_layout(kind: Kind, columns: dict[str, str], path: Path) -> Layout:
    best: tuple[int, Layout] | None = None
    for layout in kind.layouts:
        missing = [c for c in layout.required if c not in columns]
        if not missing:
            return layout
        if best is None or len(missing) < best[0]:
            best = (len(missing), layout)
    assert best is not None
    layout = best[1]
    missing = [c for c in layout.required if c not in columns]
    others = [k.name for k in KINDS.values() if k is not kind and any(
        all(c in columns for c in lay.required) for lay in k.layouts)]
    hint = f"; it looks like a '{others[0]}' file (alliancesim data import {others[0]} ...)" \
        if others else ""
    layouts = " | ".join(lay.name for lay in kind.layouts)
    raise DatasetError(
        path, f"not a {kind.title} file: missing column(s) {', '.join(missing[:8])}"
        f"{' ...' if len(missing) > 8 else ''} (header has {', '.join(list(columns)[:12])}"
        f"{' ...' if len(columns) > 12 else ''}){hint}. Expected layout: {layouts}")


def _expression(sql: str, columns: dict[str, str]) -> str:
    """Rewrite a layout's SQL expression to the file's own (quoted) column names."""
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        return _quote(columns[word]) if word in columns else word

    return re.sub(r"\b[a-z_][a-z0-9_]*\b", repl, sql)


def _check_numbers(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path) -> None:
    for col in (*kind.integers, *kind.numbers):
        whole = col in kind.integers
        target = "DOUBLE"
        bad = con.execute(
            f"SELECT _line, {_quote(col)} FROM canon WHERE {_quote(col)} IS NOT NULL AND "
            f"trim({_quote(col)}) NOT IN ('', 'NA', '.') AND "
            f"(TRY_CAST({_quote(col)} AS {target}) IS NULL OR NOT isfinite(TRY_CAST("
            f"{_quote(col)} AS {target}))"
            + (f" OR TRY_CAST({_quote(col)} AS {target}) != round(TRY_CAST({_quote(col)} AS "
               f"{target}))" if whole else "")
            + ") ORDER BY _line LIMIT 1").fetchone()
        if bad:
            what = "a whole number" if whole else "a number"
            raise DatasetError(path, line=bad[0], column=col, message=f"{bad[1]!r} is not "
                               f"{what}")
        if whole:  # stored as BIGINT: a larger whole number (1e23) is no code, year or count
            huge = con.execute(
                f"SELECT _line, {_quote(col)} FROM canon WHERE abs(TRY_CAST({_quote(col)} AS "
                f"DOUBLE)) >= {WHOLE_MAX:.0f} ORDER BY _line LIMIT 1").fetchone()
            if huge:
                raise DatasetError(path, line=huge[0], column=col, message=f"{huge[1]!r} is "
                                   "out of range (a whole number here has at most 15 digits)")
            empty = con.execute(
                f"SELECT _line FROM canon WHERE {_quote(col)} IS NULL OR trim({_quote(col)}) "
                f"IN ('', 'NA', '.') ORDER BY _line LIMIT 1").fetchone()
            if empty and col in kind.key + kind.codes + (kind.year,):
                raise DatasetError(path, line=empty[0], column=col, message="empty; every "
                                   "row needs it")


_MISSING = "('', 'NA', '.')"  # cells that mean "no value"


def _check_dates(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str],
                 key: tuple[str, ...], path: Path) -> None:
    """Every non-empty cell of `columns` (name shown -> name in `table`) is a YYYY-MM-DD date;
    the ones in `key` are never empty."""
    for shown, col in columns.items():
        q = _quote(col)
        bad = con.execute(
            f"SELECT _line, {q} FROM {table} WHERE {q} IS NOT NULL AND trim({q}) NOT IN "
            f"{_MISSING} AND TRY_CAST(trim({q}) AS DATE) IS NULL ORDER BY _line LIMIT 1"
        ).fetchone()
        if bad:
            raise DatasetError(path, line=bad[0], column=shown, message=f"{bad[1]!r} is not a "
                               "date (YYYY-MM-DD)")
        if shown in key:
            empty = con.execute(f"SELECT _line FROM {table} WHERE {q} IS NULL OR trim({q}) IN "
                                f"{_MISSING} ORDER BY _line LIMIT 1").fetchone()
            if empty:
                raise DatasetError(path, line=empty[0], column=shown, message="empty; every "
                                   "row needs it")


def _typed_select(kind: Kind, names: list[str]) -> str:
    parts = []
    for col in names:
        q = _quote(col)
        if col in kind.integers:
            parts.append(f"CAST(round(TRY_CAST({q} AS DOUBLE)) AS BIGINT) AS {q}")
        elif col in kind.numbers:
            parts.append(f"TRY_CAST({q} AS DOUBLE) AS {q}")
        elif col in kind.dates:
            parts.append(f"TRY_CAST(NULLIF(NULLIF(trim({q}), ''), 'NA') AS DATE) AS {q}")
        else:
            parts.append(f"NULLIF(trim({q}), '') AS {q}")
    return ", ".join(parts)


def _release(kind: Kind, layout: Layout, con: duckdb.DuckDBPyConnection, columns: dict[str, str],
             last_year: int | None, given: str | None, path: Path) -> tuple[str, list[str]]:
    notes: list[str] = []
    stated: str | None = None
    if layout.version_column:
        vals = [r[0] for r in con.execute(
            f"SELECT DISTINCT trim({_quote(columns[layout.version_column])}) FROM raw").fetchall()]
        if len(vals) != 1:
            raise DatasetError(path, column=layout.version_column or "", message=f"the file mixes "
                               f"releases {sorted(map(str, vals))[:5]}; one file per release")
        stated = str(vals[0])
        notes.append(f"the file's version column says {stated}")
    if layout.release and not kind.releases:
        return (given or layout.release), notes
    if not kind.releases or last_year is None:
        return (given or layout.release or stated or "unknown"), notes
    reached = [r for r, y in kind.releases.items() if y == last_year]
    if layout.release:
        reached = [layout.release] if kind.releases.get(layout.release) == last_year else []
    if given is not None:
        if given not in kind.releases:
            raise DatasetError("--release", f"{given!r} is not a release of {kind.title}; known: "
                               f"{', '.join(kind.releases)}")
        if kind.releases[given] != last_year:
            raise DatasetError(
                path, f"release {given} runs to {kind.releases[given]}, but the file's "
                f"'{kind.year}' ends at {last_year}: a different release, or a truncated file")
        return given, notes
    if not reached:
        known = ", ".join(f"{r}: to {y}" for r, y in kind.releases.items())
        raise DatasetError(
            path, f"the file's '{kind.year}' ends at {last_year}, which is the end of no "
            f"release of {kind.title} ({known}). A truncated file? If it is a release not "
            f"listed, name it with --release")
    if stated is not None:
        match = [r for r in reached if _same_release(r, stated)]
        if match:
            return match[0], notes
    if len(reached) > 1:
        raise DatasetError(path, f"the file ends at {last_year}, as releases "
                           f"{', '.join(reached)} do; say which with --release")
    return reached[0], notes


def _same_release(release: str, stated: str) -> bool:
    try:
        return float(release) == float(stated)
    except ValueError:
        return release == stated


def _attach_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add each country's COW code (by name, datasets.codes); say which names have none."""
    names = [r[0] for r in con.execute("SELECT DISTINCT country FROM staged").fetchall()]
    pairs = [(n, ccode_of_name(n)) for n in names]
    con.execute("CREATE OR REPLACE TEMP TABLE names (country VARCHAR, ccode BIGINT)")
    if pairs:  # none in a file of a header alone (DuckDB refuses an empty executemany)
        con.executemany("INSERT INTO names VALUES (?, ?)", pairs)
    con.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT s.*, n.ccode FROM staged s "
                "LEFT JOIN names n USING (country)")
    unknown = sorted(n for n, c in pairs if c is None)
    return [f"no COW code for {len(unknown)} name(s): {', '.join(unknown[:10])}"] if unknown \
        else []


def _duplicate(con: duckdb.DuckDBPyConnection, key: tuple[str, ...], path: Path) -> None:
    keys = ", ".join(_quote(k) for k in key)
    dup = con.execute(f"SELECT min(_line), max(_line), {keys} FROM staged GROUP BY {keys} "
                      f"HAVING count(*) > 1 ORDER BY 1 LIMIT 1").fetchone()
    if dup:
        vals = ", ".join(f"{k}={v}" for k, v in zip(key, dup[2:], strict=True))
        raise DatasetError(path, f"lines {dup[0]} and {dup[1]}: the same row twice "
                           f"({vals}); each ({', '.join(key)}) must appear once")


def _gather(con: duckdb.DuckDBPyConnection, kind: Kind, layout: Layout, names: list[str],
            path: Path) -> None:
    """Gather a layout's one-row-per-state columns back into one row per key.

    The rows of one key must agree on every other column; each gathered column becomes the
    published list ('651, 645, 663'): its distinct values in the order the file first gives
    them (peacesciencer's rows keep UCDP's order)."""
    _duplicate(con, (*kind.key, *layout.gather), path)
    keys = ", ".join(_quote(k) for k in kind.key)
    others = [n for n in names if n not in kind.key and n not in layout.gather]
    row = ", ".join(_quote(c) for c in others)
    bad = con.execute(f"SELECT min(_line), max(_line), {keys} FROM staged GROUP BY {keys} "
                      f"HAVING count(DISTINCT row({row})) > 1 ORDER BY 1 LIMIT 1").fetchone()
    if bad:
        vals = ", ".join(f"{k}={v}" for k, v in zip(kind.key, bad[2:], strict=True))
        where = " AND ".join(f"{_quote(k)} = ?" for k in kind.key)
        differ = [c for c in others if con.execute(
            f"SELECT count(DISTINCT row({_quote(c)})) FROM staged WHERE {where}",
            list(bad[2:])).fetchone()[0] > 1]  # type: ignore[index]
        raise DatasetError(path, f"lines {bad[0]} to {bad[1]}: the rows of one ({vals}) differ "
                           f"in {', '.join(differ)}; they may differ only in "
                           f"{', '.join(layout.gather)}")
    joins, cols = [], []
    for i, col in enumerate(layout.gather):
        q = _quote(col)
        on = " AND ".join(f"b.{_quote(k)} = g{i}.{_quote(k)}" for k in kind.key)
        joins.append(f"LEFT JOIN (SELECT {keys}, string_agg({q}, ', ' ORDER BY l) AS v FROM "
                     f"(SELECT {keys}, {q}, min(_line) AS l FROM staged WHERE {q} IS NOT NULL "
                     f"GROUP BY ALL) GROUP BY ALL) g{i} ON {on}")
    for n in names:
        cols.append(f"g{layout.gather.index(n)}.v AS {_quote(n)}" if n in layout.gather
                    else f"b.{_quote(n)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT b._line, {', '.join(cols)} "
                f"FROM (SELECT min(_line) AS _line, {keys}, {row} FROM staged GROUP BY ALL) b "
                f"{' '.join(joins)} ORDER BY b._line")


def _check_rules(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path) -> None:
    for col, condition, valid in kind.checks:
        bad = con.execute(f"SELECT _line, {_quote(col)} FROM staged WHERE ({condition}) IS NOT "
                          f"TRUE ORDER BY _line LIMIT 1").fetchone()
        if bad:
            shown = "empty" if bad[1] is None else repr(bad[1]) if isinstance(bad[1], str) \
                else str(bad[1])
            raise DatasetError(path, line=bad[0], column=col, message=f"{shown}: expected "
                               f"{valid}")


def _mirror(con: duckdb.DuckDBPyConnection, kind: Kind, names: list[str]) -> list[str]:
    """Add the reverse of every dyad the file gives in one direction only."""
    assert kind.mirror is not None
    a, b = (_quote(c) for c in kind.mirror)
    swap = {kind.mirror[0]: b, kind.mirror[1]: a}
    cols = ", ".join(f"s.{swap.get(n, _quote(n))}" for n in names)
    added = con.execute(f"INSERT INTO staged SELECT s._line, {cols} FROM staged s WHERE NOT "
                        f"EXISTS (SELECT 1 FROM staged t WHERE t.{a} = s.{b} AND t.{b} = s.{a})"
                        ).fetchone()
    n = int(added[0]) if added else 0
    return [f"{n} row(s) added for the reverse direction of dyads the file gives one way "
            f"only"] if n else []


def _gw_to_cow(con: duckdb.DuckDBPyConnection, kind: Kind) -> list[str]:
    """Fill each COW column from the first Gleditsch-Ward code of its list, in the row's year."""
    notes = []
    y = _quote(kind.year)
    for target, source in kind.gw_to_cow:
        first = f"TRY_CAST(split_part({_quote(source)}, ',', 1) AS INTEGER)"
        pairs = con.execute(f"SELECT DISTINCT {first}, {y} FROM staged WHERE {first} IS NOT "
                            f"NULL").fetchall()
        mapped = [(gw, year, cow_of_gw(gw, year)) for gw, year in pairs]
        con.execute("CREATE OR REPLACE TEMP TABLE gw_map (gw INTEGER, year BIGINT, "
                    "ccode BIGINT)")
        con.executemany("INSERT INTO gw_map VALUES (?, ?, ?)", mapped)
        con.execute(f"UPDATE staged SET {_quote(target)} = m.ccode FROM gw_map m WHERE "
                    f"m.gw = TRY_CAST(split_part(staged.{_quote(source)}, ',', 1) AS INTEGER) "
                    f"AND m.year = staged.{y}")
        none = sorted({gw for gw, _, cow in mapped if cow is None})
        if none:
            notes.append(f"{target} left empty where the first {source} is Gleditsch-Ward "
                         f"{', '.join(map(str, none))}: no COW state (datasets.codes)")
    return notes


def stage(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path,
          release: str | None = None) -> Staged:
    """Read and check `path` as `kind` into the temporary table `staged`."""
    if not path.exists():
        raise DatasetError(path, "no such file")
    if not path.is_file():
        raise DatasetError(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise DatasetError(path, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise DatasetError(path, f"{size / 1e9:.1f} GB is larger than any {kind.title} file")
    if _gzipped(path):
        _check_decompressed(path, kind.title)
    _read_raw(con, path)
    columns = _columns(con)
    layout = _pick_layout(kind, columns, path)
    if layout.wide_years:
        years = sorted(c for c in columns if re.fullmatch(r"\d{4}", c))
        if not years:
            raise DatasetError(path, "no year columns (1949, 1950, ...) in the header")
        country = _quote(columns["country"])
        unions = " UNION ALL ".join(
            f"SELECT _line, {country} AS country, '{int(y)}' AS year, "
            f"{_quote(columns[y])} AS milex_usd_m FROM raw" for y in years)
        con.execute(f"CREATE OR REPLACE TEMP TABLE canon AS {unions}")
        names = ["country", "year", "milex_usd_m"]
        kind = dataclasses.replace(kind, integers=(*kind.integers, "year"))
    else:
        _check_dates(con, "raw", {c: columns[c] for c in layout.raw_dates}, layout.raw_dates,
                     path)
        selects = ", ".join(f"CAST({_expression(sql, columns)} AS VARCHAR) AS {_quote(col)}"
                            for col, sql in layout.select.items())
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE canon AS SELECT _line, {selects} FROM raw")
        except duckdb.Error as exc:
            raise DatasetError(path, f"cannot read the columns as {layout.name} "
                               f"({str(exc).splitlines()[0][:200]})") from None
        names = list(layout.select)
    _check_numbers(con, kind, path)
    _check_dates(con, "canon", {c: c for c in kind.dates}, (), path)  # kinds check emptiness
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT _line, "
                f"{_typed_select(kind, names)} FROM canon")
    notes: list[str] = []
    if layout.drop:
        dropped = con.execute(f"DELETE FROM staged WHERE {layout.drop[0]}").fetchone()
        if dropped and dropped[0]:
            notes.append(f"{dropped[0]} {layout.drop[1]}")
    if layout.wide_years:
        con.execute("DELETE FROM staged WHERE milex_usd_m IS NULL")
        notes += _attach_codes(con)
    if kind.deduplicate:
        cols = ", ".join(_quote(c) for c in names)
        con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT min(_line) AS _line, {cols} "
                    f"FROM staged GROUP BY ALL")
    rows = int(con.execute("SELECT count(*) FROM staged").fetchone()[0])  # type: ignore[index]
    if rows == 0:
        raw = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
        if raw == 0:
            raise DatasetError(path, "no data rows: the file has its variables and no "
                               "observations" if path.suffix.lower() == ".dta" else
                               "no data rows: the file has its header line and nothing below it")
        raise DatasetError(path, f"no data rows: none of its {raw:,} rows holds a record"
                           + (" (every year column empty)" if layout.wide_years else ""))
    if layout.gather:
        _gather(con, kind, layout, names, path)
    for col in kind.codes:
        bad = con.execute(f"SELECT _line, {_quote(col)} FROM staged WHERE {_quote(col)} IS NOT "
                          f"NULL AND ({_quote(col)} < 2 OR {_quote(col)} > {kind.code_max}) "
                          f"ORDER BY _line LIMIT 1").fetchone()
        if bad:
            raise DatasetError(path, line=bad[0], column=col, message=f"{bad[1]} is not a COW "
                               f"state code (2 to {kind.code_max})")
    first_year = last_year = None
    if kind.year:
        y = kind.year_sql or _quote(kind.year)
        y0 = kind.first_year_sql or y
        for expr in dict.fromkeys((y, y0)):
            column = re.search(r"[a-z_][a-z0-9_]*", expr)
            bad = con.execute(f"SELECT _line, {expr} FROM staged WHERE {expr} IS NOT NULL AND "
                              f"({expr} < {kind.first_year} OR {expr} > {YEAR_MAX}) ORDER BY "
                              f"_line LIMIT 1").fetchone()
            if bad:
                raise DatasetError(path, line=bad[0], column=column.group(0) if column else "",
                                   message=f"year {bad[1]} is outside "
                                   f"{kind.first_year}-{YEAR_MAX}")
        first_year, last_year = con.execute(f"SELECT min({y0}), max({y}) FROM staged").fetchone()  # type: ignore[misc]
    _check_rules(con, kind, path)
    if kind.key:
        _duplicate(con, kind.key, path)
    if kind.mirror:
        notes += _mirror(con, kind, names)
    if kind.gw_to_cow:
        notes += _gw_to_cow(con, kind)
    chosen, more = _release(kind, layout, con, columns, last_year, release, path)
    notes += more
    expected = kind.rows.get(chosen)
    if expected is not None and rows != expected and not layout.wide_years:
        raise DatasetError(path, f"{rows} data rows, but {kind.title} v{chosen} has "
                           f"{expected}: a truncated or altered file")
    if layout.rows is not None:
        published = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
        if published != layout.rows:
            raise DatasetError(path, f"{published} data rows, but {layout.name} has "
                               f"{layout.rows}: a truncated or altered file")
    rows = int(con.execute("SELECT count(*) FROM staged").fetchone()[0])  # type: ignore[index]
    return Staged(kind=kind, layout=layout, release=chosen, rows=rows, first_year=first_year,
                  last_year=last_year, notes=tuple(notes))


# --------------------------------------------------------------------------- recognising a file
HEADER_MAX = 1 << 20  # bytes read for a CSV header: no published header is longer


def header_of(path: Path) -> list[str]:
    """The file's column names as the importer compares them (trimmed, lower case, without a
    byte-order mark): the first line of a CSV (gzipped when the name ends in .gz), or the
    variable list of a Stata .dta (its header only). DatasetError when it cannot be read."""
    import csv
    import io

    if path.suffix.lower() == ".dta":
        import pandas as pd

        try:
            with pd.io.stata.StataReader(path) as reader:
                names = list(reader.variable_labels())  # variable name -> label
        except Exception as exc:  # pandas raises many types for a bad .dta
            raise DatasetError(path, f"not a readable Stata file ({exc})") from None
    else:
        try:
            opener = gzip.open if _gzipped(path) else open
            with opener(path, "rb") as fh:
                first = fh.readline(HEADER_MAX)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(path, f"cannot be read ({exc})") from None
        text = first.decode("utf-8", errors="replace")
        names = next(csv.reader(io.StringIO(text)), [])
    return [n.strip().lstrip("\ufeff").lower() for n in names]


def recognise(path: Path) -> tuple[str | None, str]:
    """Which kind a file is, from its header alone: (kind, "") when the header holds every
    required column of a layout of exactly one kind (a wide layout also needs a column named
    by a year; among several kinds, the one whose matching layout requires the most columns:
    the most specific); else (None, why, naming the header and what fits)."""
    columns = header_of(path)
    if not columns or columns == [""]:
        return None, "an empty file or no header line"
    have = set(columns)
    years = any(re.fullmatch(r"\d{4}", c) for c in columns)
    fits: dict[str, int] = {}
    for kind in KINDS.values():  # a wide layout (one column per year) needs a year column
        sizes = [len(lay.required) for lay in kind.layouts
                 if set(lay.required) <= have and (years or not lay.wide_years)]
        if sizes:
            fits[kind.name] = max(sizes)
    shown = ", ".join(columns[:10]) + (" ..." if len(columns) > 10 else "")
    if not fits:
        return None, (f"not a file of any kind the importer knows (header: {shown}; "
                      "alliancesim data kinds lists the kinds and their layouts)")
    best = max(fits.values())
    top = sorted(k for k, n in fits.items() if n == best)
    if len(top) > 1:
        return None, (f"its header fits several kinds ({', '.join(top)}): import it with "
                      f"alliancesim data import KIND {path}")
    return top[0], ""
