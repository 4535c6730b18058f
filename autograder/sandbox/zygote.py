"""How a student's code is isolated: the sandboxed program (sandbox_main.py) started under bubblewrap, with the
limits it inherits, as a *zygote*: a process that imports what the notebooks import once, then forks a fresh student
process for each notebook (sandbox.py talks to those).

The sandbox sees a read-only system (/usr, a few files of /etc, the Python installation and its packages, the
course's cnntools) and a private, size-limited, writable home; not the repository, not solutions/, not the
gradebook, not the other submissions, and no network. Run as root, it becomes uid/gid 65534 before any student
code runs; otherwise it runs in a user namespace as the caller. Each process is bounded in address space, file
size, open files and (as root) processes.

A grading run lends each job a warm zygote (``Pool``), which has imported what the run's notebooks import in the
student's process (``warm_for``), and so saves every submission those imports (torch and matplotlib: up to 1.2 s).
Students graded one after another on it share nothing: before each fork the zygote kills every process left under it
(it is their subreaper, in their own pid namespace) and empties the home, /tmp and /dev/shm; it is not dumpable, so no
student process can read or trace it; one that it stops answering is replaced.
"""
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from ..errors import SandboxUnavailable
from ..limits import Limits
from .procs import alive, descendants, kill_under, parent_and_state

HERE = Path(__file__).resolve().parent
NOBODY = 65534
HOME = "/home/student"
RUNNER = "/opt/autograder"
RUNNER_FILES = ("sandbox_main.py", "protocol.py", "procs.py")  # all the sandbox sees of the grader
ETC = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "localtime", "passwd", "group",
       "nsswitch.conf", "mime.types", "matplotlibrc"]


def apply_limits(limits):
    """In the child, before bwrap starts: the limits.Limits that the sandbox inherits and cannot raise."""
    memory, size = limits.memory_mb << 20, limits.file_size_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if os.geteuid() == 0:  # counts the processes of uid 65534, whom the sandbox becomes; not root's
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    set_parent_death_signal()
    try:  # no setuid program can give the student's process privileges back
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    except Exception:
        pass
    os.setsid()


def set_parent_death_signal(sig=signal.SIGKILL):
    """Die with the parent (Linux prctl PR_SET_PDEATHSIG); a no-op elsewhere."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig), 0, 0, 0)
    except Exception:
        pass


def _ancestors(path):
    parts = Path(path).parts
    return [str(Path(*parts[:i])) for i in range(2, len(parts))]


def python_paths():
    """Folders the sandbox's Python needs, read-only: its installation, the venv and the packages on sys.path,
    never the repository itself (only its cnntools/)."""
    root = HERE.parents[1]  # the repository (this file is in autograder/sandbox/)
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    for p in sys.path:
        if p and os.path.isdir(p):
            paths.add(os.path.realpath(p))
    try:
        import cnntools
        paths.add(os.path.realpath(os.path.dirname(cnntools.__file__)))
    except ImportError:
        pass
    keep = []
    for p in sorted(paths):
        rp = Path(p)
        if rp == root or root.is_relative_to(rp):
            continue  # the repository or a folder above it
        if rp.is_relative_to(root) and not any(rp.is_relative_to(os.path.realpath(x)) for x in (
                sys.prefix, sys.exec_prefix)) and rp.name != "cnntools":
            continue  # something else inside the repository
        if p.startswith(("/usr/", "/proc/", "/dev/")) or p in ("/", "/etc", "/usr", "/tmp", "/home", "/opt"):
            continue
        if not any(Path(p).is_relative_to(k) for k in keep):
            keep.append(p)
    return keep


def bwrap_command(files, limits, python=None, env=()):
    """The bwrap command line that starts sandbox_main.py; `files` are (host path, name in the home) pairs, `env`
    more of its environment."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    cmd = [bwrap, "--die-with-parent", "--new-session", "--clearenv",
           "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    root = os.geteuid() == 0
    if root:  # no user namespace: the runner drops to uid 65534 itself, so the kernel sees nobody, not root
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    made = set()

    def mkdirs(target):
        for d in _ancestors(target):
            if d not in made:
                made.add(d)
                cmd.extend(["--perms", "0755", "--dir", d])

    # the file systems of its own first, so that the binds below may lie inside them (a course under /tmp)
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/dev/shm",
            "--perms", "0755", "--dir", "/home",
            "--perms", "0777", "--size", str(limits.home_mb << 20), "--tmpfs", HOME,
            "--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", RUNNER]
    made.update(["/home", "/opt", "/tmp", "/dev"])
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / top
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            cmd += ["--ro-bind", str(p), str(p)]
    cmd += ["--perms", "0755", "--dir", "/etc"]
    for name in ETC:
        if os.path.exists(f"/etc/{name}"):
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for p in python_paths():
        mkdirs(p)
        cmd += ["--ro-bind", p, p]
    for name in RUNNER_FILES:
        cmd += ["--ro-bind", str(HERE / name), f"{RUNNER}/{name}"]
    fonts = font_lists()
    if fonts:  # else matplotlib scans the system's fonts again in every zygote (0.15 s); it wants the folder writable
        cmd += ["--perms", "0777", "--dir", f"{HOME}/.cache", "--perms", "0777", "--dir", f"{HOME}/.cache/matplotlib"]
    for path in fonts:
        cmd += ["--ro-bind", str(path), f"{HOME}/.cache/matplotlib/{path.name}"]
    for host, name in files:
        cmd += ["--ro-bind", str(host), f"{HOME}/{name}"]
    for k, v in {**sandbox_env(limits, python), **dict(env)}.items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", HOME, "--", python or sys.executable, "-s", "-B", f"{RUNNER}/sandbox_main.py"]
    return cmd, root


def font_lists():
    """The font lists matplotlib made for the grader's user (nothing secret: the fonts installed on the machine)."""
    cache = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    return sorted(Path(cache).glob("fontlist-v*.json"))


def sandbox_env(limits, python=None):
    """The whole environment of the student's process (nothing of the grader's leaks into it)."""
    threads = str(limits.threads)
    env = {"HOME": HOME, "PATH": f"{os.path.dirname(python or sys.executable)}:/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
           "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
           "TMPDIR": "/tmp", "AUTOGRADER_RUN": os.environ.get("AUTOGRADER_RUN", ""),  # which run a process is of
           # The training notebook's experiments earn no points: cnntools runs them at their tiny size (the same
           # setting a student may choose; cnntools.train.experiment_mode). The notebook never learns it is graded.
           "CNN_MODE": "tiny"}
    try:
        import cnntools  # where the course helpers are (an editable install points into the repository)
        env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.realpath(cnntools.__file__)))
    except ImportError:
        pass
    return env


def mode():
    """How students' code is isolated: AUTOGRADER_SANDBOX = bwrap (the default), setuid (no namespaces: see
    Sandbox._setuid_command) or auto (bwrap where it works, else setuid); `auto` is resolved on first use."""
    global _MODE
    if _MODE is None:
        wanted = os.environ.get("AUTOGRADER_SANDBOX", "bwrap")
        if wanted not in ("bwrap", "setuid", "auto"):
            raise SandboxUnavailable(f"AUTOGRADER_SANDBOX must be bwrap, setuid or auto, not {wanted!r}")
        if wanted == "auto":
            wanted = "bwrap" if bwrap_works() else "setuid"
        _MODE = wanted
    return _MODE


_MODE = None


def bwrap_works():
    try:
        cmd, _ = bwrap_command([], Limits())
    except SandboxUnavailable:
        return False
    probe = cmd[:cmd.index("--")] + ["--", "/bin/true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


WARM = ("numpy", "matplotlib.pyplot", "torch")  # what the course's notebooks import: once per zygote, not per student
CLEAN = (HOME, "/tmp", "/dev/shm")                # what the zygote empties before each fork (under bubblewrap)


def warm_for(imported):
    """Of WARM, the modules whose packages students' cells import (`imported`: top-level names); NumPy always, which
    the course's helpers import."""
    return tuple(m for m in WARM if m == "numpy" or m.split(".")[0] in imported)


def ns_pid_to_host(root, ns_pid):
    """The pid, as this process sees it, of the process under `root` whose pid in its own namespace is `ns_pid`."""
    for pid in descendants(root, zombies=False):
        try:
            with open(f"/proc/{pid}/status") as f:
                nspid = next(line.split()[1:] for line in f if line.startswith("NSpid:"))
        except (OSError, StopIteration):
            continue
        if int(nspid[-1]) == ns_pid:
            return pid
    return None


class Zygote:
    """A sandboxed sandbox_main.py that forks student processes on request over a socket only the grader holds.

    The run starts them (``start``) and lends them to its grading processes, which get a copy of the socket (a
    Zygote pickles as its socket, pid and key; multiprocessing passes the socket's file descriptor)."""

    def __init__(self, sock, pid, key, proc=None, scratch=None):
        self.sock = sock          # the control socket (SOCK_SEQPACKET: one message a request)
        self.pid = pid            # the zygote's pid as the grader sees it
        self.key = key            # the files and limits it was made with: a sandbox uses only a zygote of its own key
        self.proc = proc          # the command that runs it, in the process that started it
        self.scratch = scratch    # the setuid sandbox's folder
        self.output = []          # what it wrote while starting, for the message when it did not start

    @staticmethod
    def key_of(files, limits, python):
        return json.dumps([[str(h), n] for h, n in files] + [limits.to_json(), python])

    def __reduce__(self):
        return Zygote, (self.sock, self.pid, self.key)

    def __deepcopy__(self, memo):  # traitlets copies its configuration: a copy of a process is the process
        return self

    @classmethod
    def start(cls, files=(), limits=None, python=None, warm=(), deadline=None):
        """Start one, importing the modules `warm` (those that import) before it answers; SandboxUnavailable if it
        cannot be made or does not answer by `deadline`."""
        limits, python = limits or Limits(), python or sys.executable
        deadline = deadline or time.monotonic() + 60
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        preload = {"AUTOGRADER_PRELOAD": ",".join(warm)}
        if mode() == "setuid":
            cmd, cwd, env, scratch = cls._setuid_command(files, limits, python, preload)
        else:
            preload["AUTOGRADER_CLEAN"] = ":".join(CLEAN)
            cmd, cwd, env, scratch = bwrap_command(files, limits, python, preload)[0], None, None, None
        args = [str(theirs.fileno())] + ([str(NOBODY), str(NOBODY)] if os.geteuid() == 0 else [])
        try:
            proc = subprocess.Popen(cmd + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=cwd, env=env, pass_fds=(theirs.fileno(),),
                                    preexec_fn=lambda: apply_limits(limits), close_fds=True)
        except OSError as err:
            raise SandboxUnavailable(f"the sandbox did not start: {err}") from None
        finally:
            theirs.close()
        zygote = cls(ours, None, cls.key_of(files, limits, python), proc, scratch)
        threading.Thread(target=zygote._drain, daemon=True).start()
        try:
            hello = zygote._receive(None, deadline)
            zygote.pid = proc.pid if mode() == "setuid" else ns_pid_to_host(proc.pid, hello["pid"])
            if zygote.pid is None:
                raise SandboxUnavailable("the sandbox's process could not be found")
        except SandboxUnavailable as err:
            zygote.close()
            raise SandboxUnavailable(f"{err}; its output: {zygote.tail()!r}") from None
        return zygote

    @staticmethod
    def _setuid_command(files, limits, python, env):
        """The fallback where bubblewrap cannot make namespaces (e.g. inside Docker, as on Gradescope): the same
        program, as uid 65534 with the same limits, in a private home; what it may read is then decided by file
        permissions alone (the Gradescope runner makes the course files root-only), and the network is open.
        Returns (command, its folder, its environment, the folder to remove after)."""
        if os.geteuid() != 0:
            raise SandboxUnavailable("the setuid sandbox needs a grader running as root")
        scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        os.chmod(scratch, 0o711)
        runner, home = scratch / "runner", scratch / "home"
        runner.mkdir(mode=0o755)
        home.mkdir(mode=0o700)
        for name in RUNNER_FILES:
            shutil.copy(HERE / name, runner / name)
            os.chmod(runner / name, 0o644)
        for host, name in files:
            (shutil.copytree if Path(host).is_dir() else shutil.copy)(host, home / name)
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        env = dict(sandbox_env(limits, python), **env, HOME=str(home), TMPDIR=str(home))
        return [python, "-s", "-B", str(runner / "sandbox_main.py")], str(home), env, scratch

    def _drain(self):
        for line in self.proc.stdout:
            if len(self.output) < 50:
                self.output.append(line.decode("utf-8", "replace"))

    def tail(self, n=2000):
        return "".join(self.output)[-n:]

    # ------------------------------------------------------------------ requests
    def _receive(self, rid, deadline):
        """The zygote's answer to request `rid` (None: its greeting), skipping any answer left unread by a
        grading process that was stopped mid-request."""
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise SandboxUnavailable("the sandbox did not answer in time")
            self.sock.settimeout(wait)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, OSError) as err:
                raise SandboxUnavailable(f"the sandbox did not answer ({type(err).__name__})") from None
            if not data:
                raise SandboxUnavailable("the sandbox has stopped")
            try:
                reply = json.loads(data)
            except ValueError:
                raise SandboxUnavailable("the sandbox sent a malformed answer") from None
            if type(reply) is dict and reply.get("id") == rid:
                if "error" in reply:
                    raise SandboxUnavailable(f"the sandbox failed: {reply['error']}")
                return reply

    def _ask(self, request, deadline, fds=()):
        rid = uuid.uuid4().hex
        try:
            socket.send_fds(self.sock, [json.dumps(dict(request, id=rid)).encode()], list(fds))
        except OSError as err:
            raise SandboxUnavailable(f"the sandbox has stopped ({type(err).__name__})") from None
        return self._receive(rid, deadline)

    def fork(self, fds, deadline):
        """A fresh student process reading requests from fds[0], answering on fds[1], its output on fds[2]."""
        return StudentProcess(self, self._ask({"op": "fork"}, deadline, fds)["pid"])

    def exit_code(self, ns_pid, timeout):
        """How student process `ns_pid` ended (os.waitstatus_to_exitcode), or None if it has not, or if unknown."""
        try:
            reply = self._ask({"op": "status", "pid": ns_pid, "timeout": timeout}, time.monotonic() + timeout + 2)
        except SandboxUnavailable:
            return None
        return reply["code"]

    def answers(self):
        try:
            self._ask({"op": "ping"}, time.monotonic() + 5)
            return True
        except SandboxUnavailable:
            return False

    # ------------------------------------------------------------------ life cycle
    def running(self):
        return bool(self.pid) and alive(self.pid)

    def students(self):
        """The pids of every live process under the zygote: the student's, and whatever they started."""
        return [p for p in descendants(self.pid, zombies=False) if p != self.pid]

    def reset(self, wait=10):
        """Kill every student process (from here: a zygote stopped by a student is no help) and, for up to `wait`
        seconds, what they fork meanwhile, until none is left. Only the thread that starts the next student process
        may wait: a loop beside it would kill that one too."""
        kill_under(self.pid, wait)

    def close(self):
        """Stop it and everything under it (its starter only): what the students started first, while the zygote,
        their subreaper, still holds it (without a pid namespace, the setuid sandbox's, nothing else would)."""
        if self.proc is not None:
            if self.pid:
                self.reset()
            if self.proc.poll() is None:
                self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.sock.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


class StudentProcess:
    """A process a zygote forked: its pid in the sandbox (ns_pid) and as the grader sees it (pid)."""

    def __init__(self, zygote, ns_pid):
        self.zygote, self.ns_pid = zygote, ns_pid
        self.pid = ns_pid if mode() == "setuid" else ns_pid_to_host(zygote.pid, ns_pid)

    def running(self):
        info = parent_and_state(self.pid) if self.pid else None
        return info is not None and info[0] == self.zygote.pid and info[1] != "Z"

    def exit_code(self, timeout=5):
        return self.zygote.exit_code(self.ns_pid, timeout)


class Pool:
    """Warm zygotes for the jobs of a grading run: at most one a job, each kept for the next submission of the same
    assignment (the files in its home), replaced when it stops answering."""

    def __init__(self, limits, warm=WARM):
        self.limits, self.warm = limits, warm
        self.free, self.lock = [], threading.Lock()
        # one start at a time: the run's first seconds are the fork server's imports, which no job can do without;
        # zygotes importing side by side would take most of the machine from it
        self.starting = threading.Lock()

    @contextlib.contextmanager
    def lend(self, files):
        """A warm zygote with `files` in its home, or None if none can be made (the job then starts its own)."""
        key = Zygote.key_of(files, self.limits, sys.executable)
        with self.lock:
            zygote = next((z for z in self.free if z.key == key), None) or (self.free[0] if self.free else None)
            if zygote is not None:
                self.free.remove(zygote)
        if zygote is not None and (zygote.key != key or zygote.proc.poll() is not None):
            zygote.close()
            zygote = None
        if zygote is None:
            try:
                with self.starting:
                    zygote = Zygote.start(files, self.limits, warm=self.warm)
            except SandboxUnavailable:
                yield None
                return
        try:
            yield zygote
        finally:
            zygote.reset()
            if zygote.proc.poll() is None and zygote.answers():
                with self.lock:
                    self.free.append(zygote)
            else:
                zygote.close()

    def close(self):
        with self.lock:
            for zygote in self.free:
                zygote.close()
            self.free.clear()
