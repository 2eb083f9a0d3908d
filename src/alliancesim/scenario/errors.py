"""Precise, user-facing errors: one line per problem, naming file, line, field and the fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input."""

    source: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.field:
            return one_line(f"{where}: {self.field}: {self.message}")
        return one_line(f"{where}: {self.message}")


MAX_MESSAGE = 400  # characters of one problem's line; longer echoes of the input are cut
MAX_VALUE = 160  # characters of a flag's value echoed in its error; the middle is cut


def middle_cut(text: str, limit: int = MAX_VALUE) -> str:
    """A long echoed value with its middle cut out, so that the message after it is kept."""
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "…" + text[len(text) - half:]


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """The text on one line: control and other non-printable characters escaped (\\n, \\x1b,
    \\u200b...), cut to `limit` characters with an ellipsis."""
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "…"


class ScenarioError(Exception):
    """A scenario (or parameter file) that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(Exception):
    """A bad option or combination of options (reported like a ScenarioError, exit status 2).

    The library speaks of its parameters (``backend='mpi': unknown backend``); a front end
    names its own spelling of them with ``describe`` (the CLI: ``--backend mpi: ...``).
    """

    def __init__(self, message: str, *, param: str | None = None,
                 value: object = None) -> None:
        self.message, self.param, self.value = message, param, value
        super().__init__(self.describe())

    def describe(self, spell: Callable[[str], str] | None = None) -> str:
        """The message, naming the parameter as `spell` writes it (default: its own name)."""
        if self.param is None:
            return one_line(self.message)
        if spell is None:
            value = "" if self.value is None else f"={middle_cut(repr(self.value))}"
            return one_line(f"{self.param}{value}: {self.message}")
        value = "" if self.value is None else f" {middle_cut(str(self.value))}"
        return one_line(f"{spell(self.param)}{value}: {self.message}")
