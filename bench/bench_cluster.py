"""Do a Dask cluster and batch shards grade as the local run does, and how long do they take beside it? Not a test:
`make bench`.

The same N submissions (default 24; bench_grading's mix of the solution, the release and the wrong submissions of
the assignments given, default dimensions) are graded three ways on this machine, each into a fresh OUT with the
assignments' gradebooks made beforehand (not timed):

* locally: `grade --jobs 2`;
* on a Dask LocalCluster of 2 worker processes of one thread each (`grade --scheduler`), started before the clock:
  first on fresh workers (each worker's fork server and zygotes start with its first job, inside the timed run, as
  the local run's do), then again into another OUT on the same workers, now warm, as a cluster kept for a term is;
* as 2 shards side by side (`--shard 1/2`, `--shard 2/2`, `--jobs 1` each), then the plain run that writes
  grades.csv, the pages and the gradebook, timed together.

All of it `--repeat` times (default 3; a fresh cluster each time), since one run swings by a tenth either way; it
prints each way's median wall time and its range side by side with the median's ratio to the local run's (the goal:
the cluster within 1.3x), and whether every grades.csv is identical. What it measured: bench/RESULTS.md.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from bench_grading import TIMEOUT, make_submissions  # noqa: E402


def grade(subs, out, *flags):
    """`python -m autograder grade` into `out` with `flags`; the process, started."""
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                             "--timeout", str(TIMEOUT), *flags], cwd=REPO, stderr=subprocess.PIPE, text=True)


def finished(*procs):
    for proc in procs:
        stderr = proc.communicate()[1]
        if proc.returncode != 0:
            sys.exit(f"{' '.join(proc.args[3:])} failed:\n{stderr}")


def timed(subs, out, *runs):
    """Seconds for the runs (lists of flags) one after another, those in one list side by side."""
    from autograder.execution.nbgrader_app import template_gradebook  # made beforehand, as in bench_grading
    for assignment in sorted({p.parent.name for p in subs.glob("*/*/*.ipynb")}):
        template_gradebook(out, assignment)
    started = time.perf_counter()
    for side_by_side in runs:
        finished(*[grade(subs, out, *flags) for flags in side_by_side])
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="number of submissions (default 24)")
    parser.add_argument("--assignments", nargs="*", default=["dimensions"])
    parser.add_argument("--repeat", type=int, default=3, help="measure each way this many times (default 3)")
    args = parser.parse_args()
    import dask
    from distributed import LocalCluster
    ways = {"local": "local, --jobs 2", "dask": "Dask LocalCluster, 2 fresh workers",
            "dask-warm": "the same workers again, warm", "shards": "2 shards side by side, then plain"}
    seconds = {way: [] for way in ways}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        subs = work / "submissions"
        made = make_submissions(subs, args.n, args.assignments)
        print(f"{len(made)} submissions of {', '.join(args.assignments)} on {os.cpu_count()} cores, "
              f"{args.repeat} times", flush=True)
        # workers that may start processes, importing the grader from this repository
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        for i in range(args.repeat):
            seconds["local"].append(timed(subs, work / f"local-{i}", [["--jobs", "2"]]))
            with dask.config.set({"distributed.worker.daemon": False}), LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                seconds["dask"].append(timed(subs, work / f"dask-{i}", [["--scheduler", cluster.scheduler_address]]))
                seconds["dask-warm"].append(
                    timed(subs, work / f"dask-warm-{i}", [["--scheduler", cluster.scheduler_address]]))
            seconds["shards"].append(timed(subs, work / f"shards-{i}", [["--shard", "1/2", "--jobs", "1"],
                                                                          ["--shard", "2/2", "--jobs", "1"]],
                                           [["--jobs", "2"]]))
        local = statistics.median(seconds["local"])
        for way, label in ways.items():
            median = statistics.median(seconds[way])
            goal = " (goal <= 1.3x)" if way == "dask" else ""
            print(f"{label:<36}{median:6.1f} s  ({min(seconds[way]):.1f}-{max(seconds[way]):.1f})  "
                  f"{median / local:.2f}x{goal}")
        csv = {out.name: (out / "grades.csv").read_text() for out in work.iterdir() if out != subs}
        same = len(set(csv.values())) == 1
        print(f"grades.csv: {'identical' if same else 'DIFFERENT'} in all {len(csv)} runs "
              f"({len(next(iter(csv.values())).splitlines()) - 1} rows)")
    return 0 if same else 1

if __name__ == "__main__":
    sys.exit(main())
