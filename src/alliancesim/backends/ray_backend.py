"""Ray: the same chunks as tasks on a Ray cluster (or a local Ray instance for tests).

Ctrl-C and SIGTERM are never raised inside Ray's own code (an exception raised by a signal
handler inside `ray.init` or `ray.get` came out as a SystemError, or left Ray's processes
running): they are held while Ray works and delivered between its calls. Waiting for a result
polls `ray.wait` for a quarter of a second at a time, so a Ctrl-C is acted on within that; the
tasks not finished are cancelled and a Ray instance started here is shut down.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from alliancesim.backends.base import Backend, Task, run_task
from alliancesim.engine import ChunkOutput
from alliancesim.scenario.errors import UsageError

CONNECT_TIMEOUT = 5.0  # seconds to wait for a Ray head node to answer
POLL = 0.25  # seconds between checks for Ctrl-C while a result is awaited

# An HTTP/2 client's connection preface and an empty SETTINGS frame (RFC 9113, 3.4 and 6.5).
# Ray's head node (its GCS, default port 6379) and a Ray Client server (ray://, port 10001)
# speak gRPC, which is HTTP/2: they answer with a SETTINGS frame of their own at once.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_H2_SETTINGS = 4  # the frame type


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM (yield the list they are recorded in), then deliver the first
    to the handler that was there before. Outside the main thread, nothing is held."""
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return
    old = {s: signal.signal(s, lambda n, _f: got.append(n))
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if got:
            signal.raise_signal(got[0])


@contextlib.contextmanager
def _ray_quiet() -> Iterator[None]:
    """Ray's logger (its own stderr handler) at ERROR for the duration."""
    log = logging.getLogger("ray")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _split(address: str) -> tuple[str, int] | None:
    """HOST and PORT of a Ray address; None for 'auto', 'local' or an address without a port
    (left to Ray)."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def _refuse(address: str, why: str) -> UsageError:
    return UsageError(f"{why}; start one with `ray start --head` or leave the address out to "
                      "run Ray locally", param="address", value=address)


def _first_frame_header(conn: socket.socket, deadline: float) -> bytes:
    """Send the HTTP/2 preface; the 9 bytes of the first frame header that come back before
    the deadline (fewer when the peer is silent, closes or resets)."""
    reply = b""
    with contextlib.suppress(OSError):
        conn.sendall(_H2_PREFACE)
        while len(reply) < 9:  # length (3), type, flags, stream id (4)
            conn.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = conn.recv(9 - len(reply))
            if not chunk:
                break
            reply += chunk
    return reply


def _check_ray_endpoint(address: str) -> None:
    """Fail within about CONNECT_TIMEOUT when nothing answers at HOST:PORT, or when what answers
    is not a Ray endpoint (not gRPC: no HTTP/2 SETTINGS frame on stream 0 in reply to a client
    preface). ray.init would otherwise retry for minutes, printing its C++ logs."""
    target = _split(address)
    if target is None:
        return
    deadline = time.monotonic() + CONNECT_TIMEOUT
    try:
        conn = socket.create_connection(target, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise _refuse(address, f"no Ray cluster answers there ({reason} after at most "
                      f"{CONNECT_TIMEOUT:g} s)") from None
    with conn:
        reply = _first_frame_header(conn, deadline)
    if len(reply) < 9 or reply[3] != _H2_SETTINGS or any(reply[5:9]):
        raise _refuse(address, "something listens there but it is not Ray (no gRPC answer "
                      f"within {CONNECT_TIMEOUT:g} s; a head node is HOST:6379, a Ray Client "
                      "server ray://HOST:10001)")


class RayBackend(Backend):
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        import ray

        self._ray = ray
        self._started = False
        if address is not None:
            _check_ray_endpoint(address)
        try:
            # Ctrl-C is held while Ray starts and delivered after (then the instance started
            # here is shut down); Ray's start-up notices (e.g. that token authentication is on)
            # are not printed: a failure comes as an exception
            with _signals_held(), _ray_quiet():
                self._start(address, workers)
                self.workers = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
                self._remote = ray.remote(num_cpus=1)(run_task)
        except BaseException:
            self.close()
            raise

    def _start(self, address: str | None, workers: int | None) -> None:
        """Connect to the cluster at `address`, or start a local instance (unless Ray is
        running in this process already)."""
        if self._ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
        if address is None:
            kwargs["num_cpus"] = workers or os.cpu_count() or 1
        try:
            self._ray.init(address=address, **kwargs)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise UsageError(f"cannot connect to Ray ({exc})", param="address",
                             value=address) from None
        self._started = True

    def _get(self, ref: Any) -> ChunkOutput:
        """The output of one task; Ctrl-C is looked at every POLL seconds meanwhile."""
        with _signals_held() as got:
            while not got and not self._ray.wait([ref], timeout=POLL)[0]:
                pass
        return self._ray.get(ref)

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        refs: collections.deque[Any] = collections.deque()
        try:
            with _signals_held():
                refs.extend(self._remote.remote(t) for t in tasks)
            while refs:  # in task order; each reference let go once its output is handed on
                # (a held reference keeps the output in Ray's object store: ~40,000 chunks in
                # a run of a billion trials)
                output = self._get(refs[0])
                refs.popleft()
                yield output
        except BaseException:  # interrupted, or a task failed: cancel the rest
            with _signals_held():
                for ref in refs:
                    with contextlib.suppress(Exception):
                        self._ray.cancel(ref)
            raise

    def close(self) -> None:
        if self._started:
            self._started = False
            with _signals_held():
                self._ray.shutdown()
