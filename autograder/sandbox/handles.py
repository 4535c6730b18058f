"""The student's objects on the trusted side: how a reply's values become the student's exceptions, copies or
handles, and how a request's values may cross to the student's process (see protocol.py for the encoding)."""
import builtins
import sys

from . import protocol
from ..errors import NotSupported, SandboxDied, StudentError

ALLOWED_DUNDERS = {"__name__", "__qualname__", "__doc__", "__module__"}


class Outgoing:
    """The encoder's side for a request: the sandbox's own objects go back as references; torch modules from the
    test go by value; nothing else that is not data may cross."""

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def mirror(self, v):
        return None

    def handle(self, v):
        if issubclass(type(v), Handle) and object.__getattribute__(v, "_sandbox") is self.sandbox:
            if object.__getattribute__(v, "_gen") != self.sandbox.generation:
                raise SandboxDied("this object belonged to the student's previous Python, which was restarted")
            return ["ref", object.__getattribute__(v, "_id")]
        raise NotSupported(f"the test passes a {type(v).__module__}.{type(v).__qualname__} to the student's code; "
                           "only data (numbers, strings, arrays, tensors, containers of these), torch.nn layers "
                           "without hooks, and the student's own objects can be passed")


class Incoming:
    """The decoder's side for an answer."""

    def __init__(self, sandbox, sent):
        self.sandbox, self.sent = sandbox, sent

    def handle(self, tag, args):
        if tag != "handle" or type(args[0]) is not int or type(args[1]) is not dict:
            raise protocol.ProtocolError("bad handle")
        return handle_for(self.sandbox, args[0], args[1])

    def mirror(self, mid):
        return self.sent[mid]

    def received(self, mid, obj):
        pass

    def module_class(self, path):
        """torch.nn's and cnntools' module classes, found in modules this process imports itself."""
        module, _, qualname = str(path).partition(":")
        if not protocol.module_class_ok(module + ".") or not all(p.isidentifier() for p in module.split(".")):
            raise protocol.ProtocolError(f"a module of class {path} cannot be graded by value")
        import importlib
        try:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        except Exception:
            raise protocol.ProtocolError(f"unknown module class {path}") from None
        torch = sys.modules.get("torch")
        if not (isinstance(cls, type) and torch is not None and issubclass(cls, torch.nn.Module)):
            raise protocol.ProtocolError(f"{path} is not a torch module class")
        return cls


def remote_exception(info):
    """The student's exception, as Python's own exception type where it is one (ValueError, TypeError, ...)."""
    info = info if type(info) is dict else {}
    name = info.get("type") if type(info.get("type")) is str else "Exception"
    message = info.get("message") if type(info.get("message")) is str else ""
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = StudentError
    try:
        exc = cls(message)
    except Exception:
        exc = StudentError(message)
    try:
        exc.student_name = str(info.get("name", name))[:200]
        exc.student_traceback = str(info.get("traceback", ""))[-protocol.CAPS["traceback"]:]
    except Exception:
        pass
    return exc


class Handle:
    """A student's object that stays in the sandbox. Calls, attribute reads, indexing, iteration and len() are
    forwarded there (arguments and results cross as data or handles); comparisons, truth, hashing and arithmetic
    are not: a handle equals only itself, so a student's object cannot claim to equal the expected answer."""

    __slots__ = ("_sandbox", "_id", "_gen", "_info")

    def __init__(self, sandbox, hid, gen, info):
        object.__setattr__(self, "_sandbox", sandbox)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_gen", gen)
        object.__setattr__(self, "_info", info)

    def _op(self, op, *values, **fields):
        sb = object.__getattribute__(self, "_sandbox")
        return sb.op(dict(op=op, **fields), (self,) + values, sb.deadline)

    def __call__(self, *args, **kwargs):
        return self._op("call", list(args), dict(kwargs))

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDERS:
            raise AttributeError(name)
        return self._op("getattr", name=name)

    def __setattr__(self, name, value):
        self._op("setattr", value, name=name)

    def __getitem__(self, key):
        return self._op("getitem", key)

    def __setitem__(self, key, value):
        self._op("setitem", key, value)

    def __iter__(self):
        return self._op("iter")

    def __next__(self):
        return self._op("next")

    def __len__(self):
        return self._op("len")

    def __bool__(self):
        raise NotSupported(f"the test asks whether {self!r} is true; the grader does not take a student's object's "
                           "word for that")

    def __repr__(self):
        info = object.__getattribute__(self, "_info")
        return f"<student's {str(info.get('type', 'object'))[:80]} object>"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)

    @property
    def __class__(self):
        """torch.nn.Module subclasses pass isinstance(x, torch.nn.Module) (their calls still run in the sandbox)."""
        return trusted_class(object.__getattribute__(self, "_info")) or type(self)


_HANDLE_TYPES = {}


def handle_for(sandbox, hid, info):
    """A Handle whose type is named after the student's type (so type(m).__name__ reads as it would in Jupyter)."""
    name = str(info.get("type", "object")).rpartition(".")[2][:80]
    if not name.isidentifier():
        name = "Handle"
    cls = _HANDLE_TYPES.get(name)
    if cls is None:
        cls = _HANDLE_TYPES[name] = type(name, (Handle,), {"__slots__": ()})
    return cls(sandbox, hid, sandbox.generation, info)


def trusted_class(info):
    torch = sys.modules.get("torch")
    if torch is None or type(info) is not dict or type(info.get("mro")) is not list:
        return None
    for name in info["mro"]:
        if type(name) is not str or not name.startswith("torch."):
            continue
        module, _, qualname = name.rpartition(".")
        cls = getattr(sys.modules.get(module), qualname, None)  # only classes the trusted side already has
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module):
            return cls
    return None
