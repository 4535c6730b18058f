"""The `Dask` runner: each job graded by a worker of a running dask.distributed scheduler (`grade --scheduler`).

A worker grades a job exactly as the local pool does, through an `executor.Executor` of its own process (the same
fork server, sandbox and limits, made on the worker's machine), reading the repository and the submissions, and
writing the job's course folder, on the file system it shares with the run. The worker sends back the job's result
(`executor.Graded`, as JSON); the run writes OUT from it. A worker that dies mid-job makes the scheduler give the job
to another worker (a retry); the dead worker's try leaves at most its own course folder, so no grade is lost or
doubled. A job that kills every worker it is given (`distributed.scheduler.allowed-failures`) scores 0 with why.
"""
import multiprocessing
import os
import threading
import uuid
from urllib.parse import urlparse

from ..errors import UsageError, first_line
from ..execution.executor import Executor, Graded, failed_result
from ..limits import Limits
from .runners import Runner, collect

_here, _lock = {}, threading.Lock()  # in a worker: its one Executor, and the limits and imports it was made for


def grade_on_worker(spec, warm, jobs_on_host):
    """The task a Dask worker runs for one job: grade it with this worker process's Executor; its Graded as JSON.
    `jobs_on_host`: how many jobs the workers of each host run at once, which share its cores among them."""
    from distributed import get_worker
    host = urlparse(get_worker().address).hostname
    threads = max(1, len(os.sched_getaffinity(0)) // jobs_on_host.get(host, 1))
    limits = Limits.from_json({**spec["limits"], "threads": threads})
    with _lock:
        if _here.get("made_for") != (limits, warm):
            if "executor" in _here:
                _here["executor"].close()
            _here.update(executor=Executor.here(limits, warm), made_for=(limits, warm))
        executor = _here["executor"]
    return executor.grade({**spec, "limits": limits.to_json()}).to_json()


def _may_fork():
    """On a worker: whether it may start processes (a daemon process may not: the Nanny's default)."""
    return not multiprocessing.current_process().daemon


class Dask(Runner):
    """The workers of the dask.distributed scheduler at `address` (tcp://HOST:PORT)."""

    def __init__(self, address):
        self.address, self.client = address, None

    def __str__(self):
        return f"on the Dask workers of {self.address}"

    def open(self):
        from distributed import Client
        try:
            self.client = Client(self.address, timeout="30s", set_as_default=False)
        except Exception as err:  # a bad address, a scheduler that is not there: the operator's to fix
            raise UsageError(f"cannot reach the Dask scheduler at {self.address}: {first_line(err)}") from None

    def grade(self, todo, limits, warm, on_result):
        from distributed import KilledWorker
        try:
            self.client.wait_for_workers(1, timeout=120)
        except TimeoutError:
            raise UsageError(f"no Dask worker joined the scheduler at {self.address} in 120 s") from None
        daemons = sorted(w for w, ok in self.client.run(_may_fork).items() if not ok)
        if daemons:
            raise UsageError(f"the Dask workers {', '.join(daemons)} run as daemon processes, which cannot start "
                             "grading processes: start them with DASK_DISTRIBUTED__WORKER__DAEMON=False")
        jobs_on_host = {}
        for info in self.client.scheduler_info(n_workers=-1)["workers"].values():
            jobs_on_host[info["host"]] = jobs_on_host.get(info["host"], 0) + info["nthreads"]
        run = uuid.uuid4().hex[:8]
        specs = {f"grade-{run}-{spec['assignment']}-{spec['student']}": spec for spec in todo}
        futures = [self.client.submit(grade_on_worker, spec, tuple(warm), jobs_on_host, key=key, pure=False)
                   for key, spec in specs.items()]

        def receive(future):
            spec = specs[future.key]
            try:
                return Graded.from_json(future.result())
            except KilledWorker as err:
                return Graded(failed_result(spec, f"the grader's machines died while grading it: {err}"), None)
            except Exception as err:  # the worker's machine, not the student: stop, keeping what is graded
                raise UsageError(f"a Dask worker could not grade {spec['student']}/{spec['assignment']}: "
                                 f"{first_line(err)}") from None

        try:
            collect(futures, receive, on_result)
        except BaseException:
            self.client.cancel(futures)
            raise

    def close(self):
        if self.client is not None:
            self.client.close()
