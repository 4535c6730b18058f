"""The program that runs a student's code, inside the sandbox: ``python sandbox_main.py IN_FD OUT_FD [UID GID]``.

It executes the cells it is sent in one namespace and answers the trusted grader's requests for the student's
values (see protocol.py). Everything here is within the student's reach (their code runs in this process and may
rewrite it); the grader relies on nothing this program says except as the student's answer. Started as root (the
sandbox of a grader running as root), it first becomes UID/GID with no capabilities.
"""
import ast
import builtins
import faulthandler
import linecache
import os
import sys
import traceback

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


def main():
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    if len(sys.argv) > 4 and os.getuid() == 0:  # a grader running as root: become nobody for good
        os.setgroups([])
        os.setgid(int(sys.argv[4]))
        os.setuid(int(sys.argv[3]))
        try:  # changing user cleared the parent-death signal: die with the grader again
            import ctypes
            ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)
        except Exception:
            pass
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


if __name__ == "__main__":
    main()
