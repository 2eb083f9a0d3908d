"""The run queue: work off the request thread, a bounded queue, a fixed number at once.

A job is a function of a JobContext that returns the id under which its result was kept in
the results store. `concurrency` worker threads take jobs in order; a job submitted while
`max_queue` jobs wait is refused (QueueFullError, 429 on the wire). Progress comes from the api's
own callbacks (api.simulate's trial counts, api.compare's crisis names, api.sweep's points);
cancelling sets a flag that the next callback turns into JobCancelled, which unwinds the api
call: its output folder is discarded whole (store/files.py) and nothing is recorded, so the
store never holds half a run. A job cancelled while it waits never starts.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from alliancesim.scenario.errors import ScenarioError, UsageError

State = Literal["queued", "running", "done", "failed", "cancelled"]
FINAL: tuple[State, ...] = ("done", "failed", "cancelled")
KEEP_FINISHED = 500  # finished jobs remembered (their results stay in the store regardless)


class QueueFullError(Exception):
    """More jobs wait than the queue holds."""


class JobCancelled(BaseException):
    """Raised inside a job's api call by its progress callback once it is cancelled (a
    BaseException, so that no `except Exception` on the way swallows it)."""


@dataclasses.dataclass
class Job:
    """One unit of work and what is known of it."""

    id: str
    kind: str
    label: str
    state: State = "queued"
    created: str = dataclasses.field(default_factory=lambda: _now())
    started: str | None = None
    finished: str | None = None
    done: int = 0
    total: int | None = None
    message: str = "waiting"
    run_id: str | None = None
    errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    cancel_requested: bool = False
    order: int = 0

    def public(self) -> dict[str, Any]:
        """What the API shows."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "order"}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class JobContext:
    """What a running job sees: progress reporting, which raises JobCancelled once the job is
    cancelled."""

    def __init__(self, manager: JobManager, job: Job) -> None:
        self._manager, self.job = manager, job

    def progress(self, done: int | None = None, total: int | None = None,
                 message: str | None = None, *, add: int = 0) -> None:
        with self._manager.lock:
            if total is not None:
                self.job.total = total
            if done is not None:
                self.job.done = done
            self.job.done += add
            if message is not None:
                self.job.message = message
            cancelled = self.job.cancel_requested
        if cancelled:
            raise JobCancelled


Work = Callable[[JobContext], str]


class JobManager:
    """`concurrency` threads running jobs from a queue of at most `max_queue` waiting."""

    def __init__(self, concurrency: int = 1, max_queue: int = 8) -> None:
        self.lock = threading.Condition()  # notified when a job finishes (wait)
        self.max_queue = max_queue
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._work: dict[str, Work] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._waiting = 0
        self._counter = itertools.count()
        self._threads = [threading.Thread(target=self._loop, name=f"alliancesim-job-{i}",
                                          daemon=True) for i in range(concurrency)]
        for t in self._threads:
            t.start()

    def submit(self, kind: str, label: str, work: Work) -> Job:
        """Queue a job; QueueFullError when max_queue jobs already wait."""
        with self.lock:
            if self._waiting >= self.max_queue:
                raise QueueFullError
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, label=label,
                      order=next(self._counter))
            self._jobs[job.id] = job
            self._work[job.id] = work
            self._waiting += 1
            self._forget_old()
        self._queue.put(job.id)
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINAL]
        for j in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[j.id]

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            job = self._jobs.get(job_id)
            return None if job is None else dataclasses.replace(job)

    def list(self) -> list[Job]:
        """Every remembered job, newest first (copies)."""
        with self.lock:
            return [dataclasses.replace(j) for j in reversed(self._jobs.values())]

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop: a waiting one is cancelled at once, a running one at its next
        progress report; a finished one is left as it is."""
        with self.lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state == "queued":
                job.state, job.finished = "cancelled", _now()
                job.message = "cancelled before it started"
                job.cancel_requested = True
                self._waiting -= 1
                self._work.pop(job_id, None)
                self.lock.notify_all()
            elif job.state == "running":
                job.cancel_requested = True
                job.message = "cancelling"
            return dataclasses.replace(job)

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        """Block until the job is finished (woken when it is, not polled), or `timeout`
        seconds pass (tests, scripts)."""
        with self.lock:
            self.lock.wait_for(lambda: (job_id not in self._jobs
                                        or self._jobs[job_id].state in FINAL), timeout)
        return self.get(job_id)

    def stop(self) -> None:
        """Cancel everything and end the threads (the app's shutdown)."""
        with self.lock:
            ids = list(self._jobs)
        for job_id in ids:
            self.cancel(job_id)
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=5)

    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self.lock:
                job = self._jobs.get(job_id)
                work = self._work.pop(job_id, None)
                if job is None or work is None or job.state != "queued":
                    continue
                self._waiting -= 1
                job.state, job.started, job.message = "running", _now(), "starting"
            self._run(job, work)

    def _run(self, job: Job, work: Work) -> None:
        state: State
        errors: list[dict[str, Any]] = []
        run_id = None
        try:
            run_id = work(JobContext(self, job))
            state, message = "done", "done"
        except JobCancelled:
            state, message = "cancelled", "stopped: nothing was kept"
        except (ScenarioError, UsageError) as exc:
            from alliancesim.web.inputs import problems_of

            state, message, errors = "failed", "refused", problems_of(exc)
        except Exception as exc:  # a bug: said on the job, never a traceback on the wire
            state, message = "failed", "internal error"
            errors = [{"field": "", "message": f"internal error: {type(exc).__name__}: {exc}",
                       "line": None, "source": None}]
        with self.lock:
            job.state, job.message, job.errors, job.run_id = state, message, errors, run_id
            job.finished = _now()
            self.lock.notify_all()
