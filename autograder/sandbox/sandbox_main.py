"""The program that runs students' code, inside the sandbox: ``python sandbox_main.py CONTROL_FD [UID GID]``.

Started as root (the sandbox of a grader running as root), it first becomes UID/GID with no capabilities. It is the
*zygote* (see zygote.py): it imports the modules named in AUTOGRADER_PRELOAD, then, for each request on the control
socket, kills whatever earlier student processes left running, empties the folders in AUTOGRADER_CLEAN, and forks a
student process on the pipes the request carries. The zygote never runs a student's code.

A student process executes the cells it is sent in one namespace and answers the trusted grader's requests for the
student's values (see protocol.py). Everything in it is within the student's reach (their code runs in that process
and may rewrite it); the grader relies on nothing it says except as the student's answer.
"""
import ast
import builtins
import ctypes
import faulthandler
import importlib
import json
import linecache
import os
import random
import select
import signal
import socket
import sys
import time
import traceback

import procs
import protocol

CAPS = protocol.CAPS  # what is sent of the student's output and errors: no more than the grader keeps


class FakeIPython:
    """Just enough of get_ipython() for the magics a notebook may carry; shell commands are refused."""

    def run_line_magic(self, name, line, *args, **kwargs):
        if name in ("matplotlib", "config", "load_ext", "autoreload", "precision"):
            return None
        raise RuntimeError(f"%{name} is not available while grading")

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in ("capture",):
            exec(cell, NS)
            return None
        raise RuntimeError(f"%%{name} is not available while grading")

    def system(self, *args, **kwargs):
        raise RuntimeError("shell commands (!...) are not available while grading")

    getoutput = system


def display(*objs, **kwargs):
    for obj in objs:
        print(repr(obj))


NS = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: FakeIPython(), "display": display}
OBJECTS = {}      # handle id -> object
IDS = {}          # id(object) -> handle id, for objects in OBJECTS
RUNNER_FILES = {os.path.abspath(__file__), os.path.abspath(protocol.__file__)}


def type_info(v):
    info = {"type": "object", "module": "", "mro": [], "callable": False}
    try:
        t = type(v)
        info.update(type=str(t.__qualname__)[:200], module=str(t.__module__)[:200], callable=callable(v),
                    mro=[f"{c.__module__}.{c.__qualname__}"[:200] for c in t.__mro__][:24])
    except Exception:
        pass
    return info


def handle(v):
    hid = IDS.get(id(v))
    if hid is None or OBJECTS.get(hid) is not v:
        hid = len(OBJECTS) + 1
        OBJECTS[hid], IDS[id(v)] = v, hid
    return ["handle", hid, type_info(v)]


class Call:
    """The objects the grader sent with one request (arrays, tensors, torch modules, by value), so that what the
    student's code does to them can be sent back, and so that they go back as references, not copies."""

    def __init__(self):
        self.mirrors = {}   # id the grader gave -> our copy
        self.ids = {}       # id(our copy) -> that id
        self.before = {}    # id the grader gave -> a snapshot, to tell whether it changed

    # as the decoder's side
    def handle(self, tag, args):
        if tag != "ref" or args[0] not in OBJECTS:
            raise protocol.ProtocolError("unknown handle")
        return OBJECTS[args[0]]

    def mirror(self, mid):
        if isinstance(mid, str):
            return self.mirrors[mid]
        return self.ids.get(id(mid))  # (as the encoder's side: an object that came from the grader)

    def module_class(self, path):
        import importlib
        module, _, qualname = str(path).partition(":")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        return cls

    def received(self, mid, obj):
        self.mirrors[mid], self.ids[id(obj)] = obj, mid
        self.before[mid] = snapshot(obj)

    def updates(self, enc):
        out = []
        torch = sys.modules.get("torch")
        for mid, obj in self.mirrors.items():
            if torch is not None and isinstance(obj, torch.nn.Module) or snapshot(obj) != self.before[mid]:
                out.append(enc.update(obj, mid))
        return out


class Out:
    """The encoder's side for an answer."""

    def __init__(self, call):
        self.call = call

    def handle(self, v):
        return handle(v)

    def mirror(self, v):
        return self.call.ids.get(id(v))


def snapshot(obj):
    """Something that changes when the student's code changes an array or tensor (a copy of it, for now)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.Tensor):
        grad = obj.grad if obj.is_leaf else None
        return _Same(obj.detach().clone(), obj.requires_grad, None if grad is None else grad.detach().clone())
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray):
        return _Same(obj.copy())
    return None


class _Same:
    def __init__(self, *parts):
        self.parts = parts

    def __eq__(self, other):
        if not isinstance(other, _Same) or len(other.parts) != len(self.parts):
            return False
        for a, b in zip(self.parts, other.parts):
            if a is None or b is None or isinstance(a, bool):
                if a is not b and a != b:
                    return False
                continue
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            torch = sys.modules.get("torch")
            if torch is not None and isinstance(a, torch.Tensor):
                if not torch.equal(a, b):
                    return False
            elif not (a == b).all():
                return False
        return True


def error_info(err):
    builtin = next((c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins"), "Exception")
    try:
        message = str(err)
    except Exception:
        message = "(the exception's message could not be read)"
    try:
        tb = traceback.TracebackException.from_exception(err, limit=30)
        tb.stack = traceback.StackSummary.from_list(
            [f for f in tb.stack if os.path.abspath(f.filename) not in RUNNER_FILES])
        text = "".join(tb.format())
    except Exception:
        text = f"{type(err).__name__}: {message}"
    return {"type": builtin, "name": type(err).__name__[:200], "message": message[:CAPS["message"]],
            "traceback": text[-CAPS["traceback"]:]}


def compile_cell(source, label):
    if any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    filename = f"<cell {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    return compile(tree, filename, "exec"), (compile(last, filename, "eval") if last else None)


def run_cell(source, label):
    body, last = compile_cell(source, label)
    exec(body, NS)
    if last is not None:
        value = eval(last, NS)
        if value is not None:
            try:
                return repr(value)[:CAPS["output"]]
            except Exception as err:
                return f"(a {type(value).__name__} whose repr raised {type(err).__name__})"
    return None


def serve(request, call, blobs):
    op = request.get("op")
    if op == "exec":
        return run_cell(str(request["code"]), str(request.get("label", "")))
    if op == "get":
        name = str(request["name"])
        if name not in NS:
            raise NameError(f"name '{name}' is not defined")
        return NS[name]
    if op == "names":
        return sorted(k for k in NS if isinstance(k, str))
    dec = protocol.Decoder(blobs, call)
    values = [dec.decode(v) for v in request["values"]]
    if op == "run":  # instructor code that must run beside the student's (grader's run_in_student_process)
        namespace = dict(NS)
        namespace.update(values[0])
        exec(compile(str(request["code"]), "<instructor code>", "exec"), namespace)
        return namespace.get("result")
    obj = values[0]
    if op == "call":
        return obj(*values[1], **values[2])
    if op == "getattr":
        return getattr(obj, str(request["name"]))
    if op == "setattr":
        setattr(obj, str(request["name"]), values[1])
        return None
    if op == "getitem":
        return obj[values[1]]
    if op == "setitem":
        obj[values[1]] = values[2]
        return None
    if op == "iter":
        return iter(obj)
    if op == "next":
        return next(obj)
    if op == "len":
        return len(obj)
    raise protocol.ProtocolError(f"unknown request {op!r}")


def prctl(option, value):
    try:
        return ctypes.CDLL(None).prctl(option, value, 0, 0, 0)
    except Exception:
        return -1


PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36


def student_process(fd_in, fd_out):
    """Serve the grader's requests until it closes the pipe."""
    faulthandler.enable(file=sys.__stderr__)
    sys.stdin = open(os.devnull)
    out, err = protocol.BoundedText(CAPS["output"]), protocol.BoundedText(CAPS["output"])
    sys.stdout, sys.stderr = out, err
    sys.path[0] = os.getcwd()  # the student's folder, as in a notebook; not this program's folder
    sys.argv = ["notebook"]
    while True:
        try:
            request, blobs = protocol.read_frame(fd_in)
        except protocol.Closed:
            os._exit(0)
        call = Call()
        try:
            value = serve(request, call, blobs)
            reply = {"ok": True}
            try:
                enc = protocol.Encoder(Out(call), "n")
                reply["updates"] = call.updates(enc)
                reply["value"] = enc.encode(value)
                reply_blobs = enc.blobs
            except Exception as exc:  # an answer that cannot be encoded (too big, too deep, broken)
                reply, reply_blobs = {"ok": False, "error": error_info(exc)}, []
        except BaseException as exc:  # the student's exception, whatever it is, goes back as data
            reply, reply_blobs = {"ok": False, "error": error_info(exc)}, []
            try:
                enc = protocol.Encoder(Out(call), "n")
                reply["updates"] = call.updates(enc)  # what happened to the grader's objects before it
                reply_blobs = enc.blobs
            except Exception:
                reply.pop("updates", None)
        reply["out"], reply["out_dropped"] = out.take()
        reply["err"], reply["err_dropped"] = err.take()
        try:
            protocol.write_frame(fd_out, reply, reply_blobs)
        except protocol.ProtocolError as exc:
            reply = {"ok": False, "error": error_info(exc), "out": reply["out"], "err": reply["err"],
                     "out_dropped": reply["out_dropped"], "err_dropped": reply["err_dropped"]}
            protocol.write_frame(fd_out, reply)


# ---------------------------------------------------------------------------------------------------------------
# The zygote

def reap(exited):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = os.waitstatus_to_exitcode(status)


def kill_students(exited):
    """SIGKILL every process under the zygote (orphans come to it: it is their subreaper) until none is left."""
    procs.kill_under(os.getpid(), between=lambda: reap(exited))
    reap(exited)


def empty(folder):
    """Remove what the last student left in `folder`, never crossing into another file system (the read-only binds
    of the course's files stay, and the folders bubblewrap made on the way down to them, which are not ours)."""
    try:
        dev = os.lstat(folder).st_dev
    except OSError:
        return
    todo, dirs = [folder], []
    while todo:
        path = todo.pop()
        try:
            entries = list(os.scandir(path))
        except PermissionError:  # a student's chmod: the folder is theirs, and so the zygote's
            try:
                os.chmod(path, 0o700)
                entries = list(os.scandir(path))
            except OSError:
                continue
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_dev != dev:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                    dirs.append(entry.path)
                    continue
                try:
                    os.unlink(entry.path)
                except PermissionError:
                    os.chmod(path, 0o700)
                    os.unlink(entry.path)
            except OSError:
                pass
    for path in reversed(dirs):
        try:
            os.rmdir(path)
        except OSError:  # it holds a bind mount, or bubblewrap made it
            pass


def fork(ctl, fds, exited):
    kill_students(exited)
    exited.clear()
    for folder in filter(None, os.environ.get("AUTOGRADER_CLEAN", "").split(":")):
        empty(folder)
    req_r, rep_w, out = fds
    pid = os.fork()
    if pid == 0:
        try:
            ctl.close()
            prctl(PR_SET_DUMPABLE, 1)  # the student's own process, as a fresh one would be
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.close(out)
            random.seed()  # not the zygote's state: as a fresh process, each student draws anew
            if "numpy" in sys.modules:
                sys.modules["numpy"].random.seed()
            student_process(req_r, rep_w)
        except BaseException:  # before the student's code ran: the grader's output tail says why
            traceback.print_exc(file=sys.__stderr__)
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    return {"pid": pid}


def status(ctl, request, exited):
    end = time.monotonic() + min(float(request.get("timeout", 0)), 30)
    pid = int(request["pid"])
    while pid not in exited and time.monotonic() < end:
        time.sleep(0.01)
        reap(exited)
    return {"code": exited.get(pid)}


def zygote(ctl):
    """Fork student processes on request; stop when the grader closes the control socket."""
    prctl(PR_SET_DUMPABLE, 0)        # no student process may read or trace this one
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # what students start and leave behind stays under this process
    for name in filter(None, os.environ.get("AUTOGRADER_PRELOAD", "").split(",")):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    exited = {}
    ctl.send(json.dumps({"id": None, "pid": os.getpid()}).encode())
    while True:
        reap(exited)
        if not select.select([ctl], [], [], 0.2)[0]:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(ctl, 65536, 3)
        except OSError:
            data, fds = b"", []
        if not data:
            kill_students(exited)
            os._exit(0)
        request = json.loads(data)
        try:
            op = request.get("op")
            if op == "fork" and len(fds) == 3:
                reply = fork(ctl, fds, exited)
            elif op == "status":
                reply = status(ctl, request, exited)
            else:
                reply = {}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        ctl.send(json.dumps(dict(reply, id=request.get("id"))).encode())


def main():
    ctl = int(sys.argv[1])
    if len(sys.argv) > 3 and os.getuid() == 0:  # a grader running as root: become nobody for good
        os.setgroups([])
        os.setgid(int(sys.argv[3]))
        os.setuid(int(sys.argv[2]))
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # changing user cleared the parent-death signal: die with the grader
    zygote(socket.socket(fileno=ctl))


if __name__ == "__main__":
    main()
