"""The trusted side of a student's process: get one from a zygote (zygote.py: the sandbox), send it requests, turn its
answers into values (see protocol.py), and stop it when it takes too long, uses too much memory or dies.

The sandbox package: the student's process and everything of it (this module, the zygote, the wire, /proc).
sandbox_main.py runs inside the sandbox beside copies of protocol.py and procs.py only (zygote.RUNNER_FILES).

May import: base.
"""
import collections
import fcntl
import os
import select
import signal
import sys
import threading
import time

from . import protocol
from ..errors import GradingStopped, NotSupported, SandboxDied, SandboxTimeout, SandboxUnavailable
from .handles import Incoming, Outgoing, remote_exception
from ..limits import Limits
from .procs import memory_of
from .zygote import Zygote, mode


class Sandbox:
    """One student process. `request` sends one request and returns the decoded answer, raising the student's
    exception, SandboxTimeout (the process was killed) or SandboxDied."""

    def __init__(self, files=(), limits=None, python=None, zygote=None):
        self.files = list(files)
        self.python = python or sys.executable
        self.limits = limits or Limits()
        self.lent = zygote     # a warm zygote the run lent (zygote.Pool); else one of our own, started when needed
        self.own = None
        self.proc = None       # the student's process (zygote.StudentProcess)
        self.generation = 0
        self.output = collections.deque(maxlen=64)  # what the process wrote to its own fds 1 and 2 (bounded)
        self.on_output = None  # called with (stdout text, stderr text) of each answer
        self.deadline = None   # when the current cell's time is up (time.monotonic())
        self.dead = None
        self.over_memory = False  # set by the memory watch when it killed the student's processes

    # ------------------------------------------------------------------ life cycle
    def start(self, deadline):
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.proc = self._fork([req_r, rep_w, out_w], deadline)
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

    def _fork(self, fds, deadline):
        """A student process from the lent zygote if it has our files and limits and answers, else from our own."""
        key = Zygote.key_of(self.files, self.limits, self.python)
        if self.lent is not None and self.lent.key == key:
            try:
                return self.lent.fork(fds, min(deadline, time.monotonic() + 10))
            except SandboxUnavailable:  # stopped by an earlier student, say: the run replaces it after this job
                pass
        self.lent = None
        if self.own is not None and not self.own.running():  # killed by the last student's code
            self.own.close()
            self.own = None
        if self.own is None:
            self.own = Zygote.start(self.files, self.limits, self.python, deadline=deadline)
        return self.own.fork(fds, deadline)

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
        return self.proc is not None and self.dead is None and self.proc.running()

    def kill(self):
        """Stop the student's process and all it started; a zygote of our own goes too when it is not reusable."""
        if self.proc is not None:
            self.proc.zygote.reset()
            if mode() == "setuid" and self.own is not None:  # a fresh home for the next process, as bubblewrap's
                self.own.close()
                self.own = None
            for fd in (self.req_w, self.rep_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None

    def close(self):
        """kill(), and stop our own zygote."""
        self.kill()
        if self.own is not None:
            self.own.close()
            self.own = None

    def _watch(self, proc):
        """The memory of all the student's processes together: RLIMIT_AS bounds each one, this bounds the sum
        (a student who forks). Checked four times a second; over the limit, the student's processes are killed."""
        while proc.running():
            if memory_of(proc.zygote.students()) > self.limits.memory_mb << 20:
                self.over_memory = True
                proc.zygote.reset(wait=0)  # once: kill(), in the grading thread, waits for them to be gone
                return
            time.sleep(0.25)

    def death_reason(self):
        if not self.proc.zygote.running():
            # the student's code killed it (same uid, same pid namespace), or the run was killed, which the job
            # finds before it saves anything (worker.main); the next cell runs in a zygote of the job's own
            self.kill()
            return "the student's code stopped the sandbox it ran in"
        if self.over_memory:
            self.kill()
            return (f"the student's processes used more than {self.limits.memory_mb} MB of memory together "
                    "and were stopped")
        code = self.proc.exit_code(timeout=5)
        if code is None:
            self.kill()
            return "the student's Python stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
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
