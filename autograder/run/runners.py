"""Where a run's jobs are graded, behind one interface (`Runner`): `Local`, a pool of `--jobs` grading processes on
this machine; `Shard`, the I-th of N slices of the jobs on this machine (`--shard I/N`, one task of a batch
scheduler's array); `Dask`, the workers of a dask.distributed scheduler (`--scheduler`; dask_runner.py).

Every runner hands each job's `executor.Graded` to the run as it comes (`on_result`, in the run's main thread),
and the run alone writes OUT's results, pages and gradebook from it.
"""
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tqdm import tqdm

from .. import interrupt
from ..errors import UsageError
from ..execution.executor import Executor, fork_server


class Runner:
    """How a run grades: `open` once the input is known good, `mine` the jobs it grades of all the run's, `grade`
    them, each Graded handed to `on_result`; `close` at the end. A runner that `writes_grades` is the only one
    writing to OUT: the run then also writes grades.csv, every page and the class gradebook."""
    writes_grades = True

    def open(self):
        pass

    def mine(self, work):
        return work

    def grade(self, todo, limits, warm, on_result):
        raise NotImplementedError

    def close(self):
        pass


class Local(Runner):
    """`jobs` grading processes at a time on this machine."""

    def __init__(self, jobs):
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs

    def __str__(self):
        return f"{self.jobs} at a time"

    def open(self):
        fork_server()  # its imports go on while the run reads the previous results

    def grade(self, todo, limits, warm, on_result):
        executor = Executor.here(limits, warm)
        pool = ThreadPoolExecutor(max_workers=self.jobs, initializer=interrupt.main_thread_only)
        try:
            collect([pool.submit(executor.grade, spec) for spec in todo], lambda future: future.result(), on_result)
        except BaseException:
            executor.stop()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            executor.close()
        pool.shutdown()


class Shard(Local):
    """The `index`-th (from 1) of `count` slices of the run's jobs, `jobs` at a time on this machine. Slices are
    dealt in turn from the jobs sorted by (student, assignment): deterministic, disjoint, and alike in their mix of
    assignments. Shards run side by side on one OUT; grades.csv, the pages of the whole class and the class gradebook
    are left to a plain run afterwards."""
    writes_grades = False

    def __init__(self, shard, jobs):
        super().__init__(jobs)
        try:
            self.index, self.count = map(int, shard.split("/"))
        except ValueError:
            raise UsageError(f"--shard must be I/N (the I-th of N slices, from 1), got {shard!r}") from None
        if not 1 <= self.index <= self.count:
            raise UsageError(f"--shard I/N needs 1 <= I <= N, got {shard!r}")

    def __str__(self):
        return f"shard {self.index}/{self.count}, {self.jobs} at a time"

    def mine(self, work):
        ordered = sorted(work, key=lambda job: (job[0], job[1]))
        return ordered[self.index - 1::self.count]


def collect(futures, receive, on_result):
    """Wait for `futures`, handing each one's Graded (`receive(future)`; None: skipped) to `on_result` as it comes;
    a line per graded submission (what a log keeps), and on a terminal a bar below them. ^C, even one whose
    KeyboardInterrupt a finaliser dropped, stops the wait."""
    started = time.monotonic()
    bar = tqdm(total=len(futures), file=sys.stderr, disable=not sys.stderr.isatty(), unit="submission",
               bar_format="{l_bar}{bar}| {n}/{total} [{elapsed}, ETA {remaining}]")
    arrivals = queue.SimpleQueue()  # each finished future, and None when ^C comes
    try:
        with interrupt.waking(arrivals):
            for future in futures:
                future.add_done_callback(arrivals.put)
            for done in range(1, len(futures) + 1):
                future = arrivals.get()
                interrupt.check()
                graded = receive(future)
                if graded is None:
                    continue
                on_result(graded)
                result = graded.result
                eta = (time.monotonic() - started) / done * (len(futures) - done)
                scores = ", ".join(f"{n} {r.score:g}/{r.max_score:g}" for n, r in result.notebooks.items())
                bar.write(f"[{done}/{len(futures)}] {result.student}/{result.assignment}: {scores} "
                          f"(ETA {eta:.0f} s)", file=sys.stderr)
                bar.update()
    finally:
        bar.close()

