"""The `alliancesim` command and `python -m alliancesim`: Ctrl-C is handled from the first
moment, then the command line is loaded (see alliancesim._interrupt)."""

from __future__ import annotations

from alliancesim._interrupt import guard_imports


def main() -> None:
    """Guard against Ctrl-C and SIGTERM, then import and run the command line."""
    guard_imports()
    from alliancesim.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
