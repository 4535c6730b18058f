"""The trusted side of the sandbox: start a student's process under bubblewrap, send it requests, turn its answers
into values (see protocol.py), and stop it when it takes too long or dies.

The sandbox sees a read-only system (/usr, a few files of /etc, the Python installation and its packages, the
course's cnntools) and a private, size-limited, writable home; not the repository, not solutions/, not the
gradebook, not the other submissions, and no network. Run as root, it becomes uid/gid 65534 before any student
code runs; otherwise it runs in a user namespace as the caller. Each process is bounded in address space, file
size, open files and (as root) processes.
"""
import collections
import fcntl
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import protocol
from .errors import GradingStopped, NotSupported, SandboxDied, SandboxTimeout, SandboxUnavailable
from .handles import Incoming, Outgoing, remote_exception
from .limits import Limits

HERE = Path(__file__).resolve().parent
NOBODY = 65534
HOME = "/home/student"
RUNNER = "/opt/autograder"
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
    root = HERE.parent
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


def bwrap_command(files, limits, python=None):
    """The bwrap command line that starts sandbox_main.py; `files` are (host path, name in the home) pairs."""
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
    for name in ("sandbox_main.py", "protocol.py"):
        cmd += ["--ro-bind", str(HERE / name), f"{RUNNER}/{name}"]
    for host, name in files:
        cmd += ["--ro-bind", str(host), f"{HOME}/{name}"]
    for k, v in sandbox_env(limits, python).items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", HOME, "--", python or sys.executable, "-s", "-B", f"{RUNNER}/sandbox_main.py"]
    return cmd, root


def sandbox_env(limits, python=None):
    """The whole environment of the student's process (nothing of the grader's leaks into it)."""
    threads = str(limits.threads)
    env = {"HOME": HOME, "PATH": f"{os.path.dirname(python or sys.executable)}:/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
           "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
           "TMPDIR": "/tmp", "NBGRADER_EXECUTION": "autograde",
           "AUTOGRADER_RUN": os.environ.get("AUTOGRADER_RUN", "")}  # which run a process is of (run.py)
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


def kill_user(uid):
    """SIGKILL every process of `uid` (from a child that becomes that user: kill(-1) reaches only its own)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def descendants(pid):
    """pid and all its descendants, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def memory_of(pids):
    """Bytes of memory the processes use together (proportional set size: shared pages counted once)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) << 10
                        break
        except (OSError, ValueError):
            pass
    return total


class Sandbox:
    """One student process. `request` sends one request and returns the decoded answer, raising the student's
    exception, SandboxTimeout (the process was killed) or SandboxDied."""

    def __init__(self, files=(), limits=None, python=None):
        self.files = list(files)
        self.python = python or sys.executable
        self.limits = limits or Limits()
        self.proc = None
        self.generation = 0
        self.output = collections.deque(maxlen=64)  # what the process wrote to its own fds 1 and 2 (bounded)
        self.on_output = None  # called with (stdout text, stderr text) of each answer
        self.deadline = None   # when the current cell's time is up (time.monotonic())
        self.dead = None

    # ------------------------------------------------------------------ life cycle
    def start(self, deadline):
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        root = os.geteuid() == 0
        args = [str(req_r), str(rep_w)] + ([str(NOBODY), str(NOBODY)] if root else [])
        try:
            if mode() == "setuid":
                cmd, cwd, env = self._setuid_command()
            else:
                cmd, cwd, env = bwrap_command(self.files, self.limits, self.python)[0], None, None
            self.proc = subprocess.Popen(cmd + args, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, cwd=cwd,
                                         env=env, pass_fds=(req_r, rep_w), preexec_fn=lambda: apply_limits(self.limits),
                                         close_fds=True)
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        fcntl.fcntl(self.req_w, fcntl.F_SETFL, fcntl.fcntl(self.req_w, fcntl.F_GETFL) | os.O_NONBLOCK)
        self.generation += 1
        self.output.clear()
        threading.Thread(target=self._drain, args=(out_r, self.output), daemon=True).start()
        threading.Thread(target=self._watch, args=(self.proc,), daemon=True).start()
        self.dead = None
        self.over_memory = False
        try:
            self.request({"op": "names"}, deadline=deadline)
        except GradingStopped as stop:
            raise SandboxUnavailable(f"the sandbox did not start: {stop}; its output: {self.tail()!r}") from None

    def _setuid_command(self):
        """The fallback where bubblewrap cannot make namespaces (e.g. inside Docker, as on Gradescope): the same
        program, as uid 65534 with the same limits, in a private home; what it may read is then decided by file
        permissions alone (the Gradescope runner makes the course files root-only), and the network is open."""
        if os.geteuid() != 0:
            raise SandboxUnavailable("the setuid sandbox needs a grader running as root")
        import tempfile
        self.scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        os.chmod(self.scratch, 0o711)
        runner, home = self.scratch / "runner", self.scratch / "home"
        runner.mkdir(mode=0o755)
        home.mkdir(mode=0o700)
        for name in ("sandbox_main.py", "protocol.py"):
            shutil.copy(HERE / name, runner / name)
            os.chmod(runner / name, 0o644)
        for host, name in self.files:
            (shutil.copytree if Path(host).is_dir() else shutil.copy)(host, home / name)
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        env = sandbox_env(self.limits, self.python)
        env.update(HOME=str(home), TMPDIR=str(home))
        return [self.python, "-s", "-B", str(runner / "sandbox_main.py")], str(home), env

    @staticmethod
    def _drain(fd, sink):
        with os.fdopen(fd, "rb", buffering=0) as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    return
                sink.append(chunk[-4096:])

    def tail(self, n=2000):
        return b"".join(self.output).decode("utf-8", "replace")[-n:]

    def alive(self):
        return self.proc is not None and self.dead is None and self.proc.poll() is None

    def kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            if mode() == "setuid":
                kill_user(NOBODY)  # no pid namespace here: whatever the student started goes too
                shutil.rmtree(getattr(self, "scratch", "/nonexistent"), ignore_errors=True)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for fd in (self.req_w, self.rep_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None

    def _watch(self, proc):
        """The memory of all the student's processes together: RLIMIT_AS bounds each one, this bounds the sum
        (a student who forks). Checked four times a second; over the limit, the sandbox is killed."""
        while proc.poll() is None:
            pids = descendants(proc.pid)
            if len(pids) > (1 if mode() == "setuid" else 3):  # (bwrap, its init,) the student's Python
                if memory_of(pids) > self.limits.memory_mb << 20:
                    self.over_memory = True
                    proc.kill()
                    if mode() == "setuid":
                        kill_user(NOBODY)
                    return
            time.sleep(0.25)

    def death_reason(self):
        if getattr(self, "over_memory", False):
            self.kill()
            return (f"the student's processes used more than {self.limits.memory_mb} MB of memory together "
                    "and were stopped")
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the student's Python stopped answering"
        if code > 128:
            try:
                name = signal.Signals(code - 128).name
            except ValueError:
                name = f"signal {code - 128}"
            what = {"SIGSEGV": "crashed (segmentation fault)", "SIGKILL": "was killed (out of memory?)",
                    "SIGABRT": "aborted", "SIGBUS": "crashed (bus error)", "SIGFPE": "crashed (arithmetic fault)"}
            return f"the student's Python {what.get(name, 'was stopped by ' + name)}"
        return f"the student's Python exited with status {code} (os._exit, or a crash)"

    # ------------------------------------------------------------------ requests
    def _write(self, data, deadline):
        while data:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise protocol.TimedOut()
            _, ready, _ = select.select([], [self.req_w], [], min(wait, 1.0))
            if ready:
                try:
                    data = data[os.write(self.req_w, data):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise protocol.Closed() from None

    def request(self, header, blobs=(), deadline=None):
        """Send one request; return (reply header, blobs). Raises GradingStopped subclasses."""
        if not self.alive():
            raise SandboxDied(self.dead or "the student's Python is not running")
        deadline = deadline if deadline is not None else time.monotonic() + 3600
        try:
            data = protocol.encode_frame(header, blobs)
        except protocol.ProtocolError as err:  # the test's own message: the student's process is not to blame
            raise NotSupported(f"the test sends too much to the student's code at once: {err}") from None
        try:
            self._write(data, deadline)
            reply, reply_blobs = protocol.read_frame(self.rep_r, deadline)
        except BaseException as stop:  # interrupted half-way (an alarm, ^C): the pipe is out of step, so end it
            if not isinstance(stop, (protocol.TimedOut, protocol.Closed, OSError, protocol.ProtocolError)):
                self.dead = "the student's code was stopped"
                self.kill()
                raise
            return self._failed(stop)
        if type(reply) is not dict:
            self.dead = "the student's process sent a malformed answer"
            self.kill()
            raise SandboxDied(self.dead)
        if self.on_output is not None:
            self.on_output(protocol.with_cut_note(reply.get("out"), reply.get("out_dropped")),
                           protocol.with_cut_note(reply.get("err"), reply.get("err_dropped")))
        return reply, reply_blobs

    def _failed(self, stop):
        try:
            raise stop
        except protocol.TimedOut:
            self.dead = "timeout"
            self.kill()
            raise SandboxTimeout("the student's code did not finish in time and was stopped") from None
        except (protocol.Closed, OSError):
            self.dead = self.death_reason()
            self.kill()
            raise SandboxDied(self.dead) from None
        except protocol.ProtocolError as err:
            self.dead = f"the student's process sent a malformed answer ({err})"
            self.kill()
            raise SandboxDied(self.dead) from None

    # ------------------------------------------------------------------ values
    def op(self, header, values=(), deadline=None):
        """Request `header`, with `values` encoded into header['values']; return the decoded answer, after copying
        back into the test's own arrays, tensors and modules what the student's code did to them."""
        out = Outgoing(self)
        try:
            trees, blobs, enc = protocol.encode_many(list(values), out, prefix="t")
        except protocol.Unsendable as err:
            raise NotSupported(f"the test passes something to the student's code that cannot cross: {err}") \
                from None
        sent = {mid: obj for obj in enc.keep for mid in [enc.memo.get(id(obj))] if mid}
        reply, reply_blobs = self.request(dict(header, values=trees), blobs, deadline)
        try:
            dec = protocol.Decoder(reply_blobs, Incoming(self, sent))
            updates = reply.get("updates") or []
            if type(updates) is not list:
                raise protocol.ProtocolError("bad updates")
            for tree in updates:
                self._copy_back(dec, tree, sent)
            if reply.get("ok") is True:
                return dec.decode(reply.get("value"))
        except (protocol.ProtocolError, RecursionError, MemoryError) as err:
            raise NotSupported(f"the student's answer could not be read: {err}") from None
        raise remote_exception(reply.get("error"))

    @staticmethod
    def _copy_back(dec, tree, sent):
        if type(tree) is not list or len(tree) < 3 or tree[0] not in ("module", "tensor", "ndarray", "unsupported"):
            raise protocol.ProtocolError("bad update")
        mid = tree[1] if tree[0] in ("module", "unsupported") else tree[-1]
        if mid not in sent:
            raise protocol.ProtocolError("an update of an object the grader did not send")
        original = sent[mid]
        if tree[0] == "unsupported":
            raise NotSupported(f"the student's code changed a {type(original).__name__} it was given in a way the "
                               f"grader cannot copy back ({str(tree[2])[:200]})")
        if tree[0] == "module":
            attrs = dec.module_attrs(tree[3], 0)
            vars(original).clear()
            vars(original).update(attrs)
            return
        new = dec.decode(tree[:-1] + [None])  # a fresh copy; then into the original, keeping its identity
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(original, torch.Tensor) and isinstance(new, torch.Tensor):
            with torch.no_grad():
                if original.shape == new.shape and original.dtype == new.dtype:
                    original.copy_(new)
                else:
                    original.data = new.detach()
            if original.is_leaf:
                if original.requires_grad != new.requires_grad:
                    original.requires_grad_(new.requires_grad)
                grad = new.grad if new.requires_grad else None
                original.grad = grad if grad is None or grad.shape == original.shape else None
        else:
            import numpy as np
            if isinstance(original, np.ndarray) and isinstance(new, np.ndarray) and original.flags.writeable \
                    and original.shape == new.shape and original.dtype == new.dtype:
                original[...] = new
