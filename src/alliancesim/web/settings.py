"""What the web application may do and where it keeps what it makes (`alliancesim serve`'s
options). Every limit is checked before any work starts: a request over one is refused with a
4xx naming the field and the bound."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alliancesim.data.user_files import user_data_file

MAX_UPLOAD_BYTES = 256_000  # the bounded YAML loader's own limit (scenario/yaml_lines.py)


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """store: the results store (DuckDB; None: the default, $ALLIANCESIM_STORE or
    ~/.local/share/alliancesim/runs.duckdb); files: the folder each kept run's files go into
    (one sub-folder per run id; None: `web-files` beside the store); backend, workers,
    address: where chunks run (api.simulate's); concurrency: runs at once; max_queue: runs
    waiting (one more is refused with 429); max_trials: trials per crisis; max_sweep_points:
    the points of a sweep; max_variants: the variants of a comparison; upload_bytes: the
    largest scenario text or upload accepted; token: when set, every request must carry it
    (Authorization: Bearer, or the cookie the login page sets); data_store: the data store
    scenarios are built from (None: the default, $ALLIANCESIM_DATA or
    ~/.local/share/alliancesim/datasets.duckdb)."""

    store: Path | None = None
    files: Path | None = None
    backend: str = "local"
    workers: int | None = None
    address: str | None = None
    concurrency: int = 1
    max_queue: int = 8
    max_trials: int = 1_000_000
    max_sweep_points: int = 50
    max_variants: int = 6
    upload_bytes: int = MAX_UPLOAD_BYTES
    token: str | None = None
    data_store: Path | None = None

    def store_path(self) -> Path:
        """The results store's file."""
        return self.store if self.store is not None else user_data_file(
            "ALLIANCESIM_STORE", "runs.duckdb")

    def files_path(self) -> Path:
        """The folder of the runs' files (created when first needed)."""
        return self.files if self.files is not None else self.store_path().parent / "web-files"


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (127.0.0.0/8, ::1, localhost): a server there needs
    no token; any other address (0.0.0.0, a LAN address, a name) does."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, port: int) -> None:
    """Raise UsageError unless a server can listen on host:port now (the port free, the
    address this machine's)."""
    import socket

    from alliancesim.scenario.errors import UsageError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot resolve the address ({exc.strerror})", param="host",
                         value=host) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise UsageError(f"cannot listen there ({exc.strerror or exc})", param="port",
                             value=port) from None
