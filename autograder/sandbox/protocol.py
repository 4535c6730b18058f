"""The wire between the trusted grader and the sandbox that runs a student's code.

This module is imported on both sides (inside the sandbox as a plain file next to ``sandbox_main.py``), so it
imports nothing from the package. A message is a frame: 8 bytes of length, then a JSON header and binary blobs.
Values cross as *data* only: None, bool, int, float, complex, str, bytes, tuples/lists/sets/dicts of data, slices,
ranges, NumPy arrays and scalars (as .npy, ``allow_pickle=False``), torch tensors (as arrays plus dtype and
``requires_grad``), torch sizes, dtypes and devices. Everything else crosses as a *handle*: an id in the sandbox's
table of objects, which the trusted side may only call, read attributes of, index, iterate or measure, each a new
request. Nothing is ever unpickled, and no code object crosses.
"""
import base64
import io
import json
import os
import select
import struct
import sys
import time

MAX_FRAME = 512 << 20        # the most bytes one message may hold (arrays included)
MAX_HEADER = 64 << 20        # the most bytes of JSON in one message
MAX_DEPTH = 32               # deeper containers cross as a handle
MAX_ITEMS = 1_000_000        # bigger containers cross as a handle
NUMERIC_KINDS = "biufc"      # bool, int, unsigned, float, complex: the array dtypes that may cross


# Every cap on text that a student's code makes, in characters, from the sandbox (which sends no more) and the trusted
# side (which keeps no more of what it is sent) to the feedback page and Gradescope.
CAPS = {
    "output": 20_000,        # stdout, and stderr, of one cell or test
    "message": 2_000,        # an exception's message
    "traceback": 6_000,      # an exception's traceback
    "shown": 4_000,          # any other block of text on a feedback page
    "test_message": 6_000,   # a test's verdict on the page: every failing case, a line each
    "cases_listed": 40,      # failing cases listed by message per test (the rest are counted)
    "pictures": 12,          # failing array cases drawn per test (a picture is ~10 KB of PNG, ~50 ms to draw)
    "errors_listed": 40,     # failing cells of the student's listed per notebook
    "gradescope": 20_000,    # one test's output in results.json
    "log": 4_000,            # the end of nbgrader's log kept in a result
}


class ProtocolError(Exception):
    """A message that is not well formed: the other side is broken or hostile."""


class Unsendable(TypeError):
    """A trusted value that cannot be passed to student code (only data and the student's own objects can)."""


# ---------------------------------------------------------------------------------------------------------------
# Output

class BoundedText(io.TextIOBase):
    """sys.stdout / sys.stderr while a cell or a test runs: keeps the first `limit` characters, counts the rest."""

    def __init__(self, limit):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.limit - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"

    def take(self):
        """(text kept, number of characters dropped) since the last take; starts afresh."""
        text, dropped = "".join(self.parts), self.dropped
        self.parts, self.size, self.dropped = [], 0, 0
        return text, dropped


def with_cut_note(text, dropped):
    """Output as shown: the text kept, then how much was cut (both as the other side sent them, so checked)."""
    text = text if type(text) is str else ""
    if type(dropped) is int and dropped > 0:
        text += f"\n[... {dropped} more characters of output were cut ...]\n"
    return text


# ---------------------------------------------------------------------------------------------------------------
# Frames
# Not multiprocessing.connection: its recv_bytes(maxlength) frames the same way (no pickle in it), but once a message
# has begun it blocks until the message ends, and a student's process that sends half a frame and stops would hold
# the grader forever. Here every read waits on select() with the cell's deadline, and a hostile length is refused
# before anything is read into memory.

def encode_frame(header, blobs=()):
    """One message as bytes: its length and number of blobs, then the JSON header and each blob, length first."""
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [struct.pack(">Q", len(head)), head]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    body = b"".join(parts)
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"message of {len(body)} bytes is over the limit of {MAX_FRAME}")
    return memoryview(struct.pack(">QI", len(body), len(blobs)) + body)


def write_frame(fd, header, blobs=()):
    data = encode_frame(header, blobs)
    while data:
        n = os.write(fd, data)
        data = data[n:]


class Closed(Exception):
    """The other end of the pipe is gone."""


class TimedOut(Exception):
    """No complete message before the deadline."""


def _read_exact(fd, n, deadline):
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimedOut()
            ready, _, _ = select.select([fd], [], [], min(wait, 1.0))
            if not ready:
                continue
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise Closed()
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd, deadline=None):
    """(header, blobs) of the next message; raises Closed, TimedOut or ProtocolError."""
    size, count = struct.unpack(">QI", _read_exact(fd, 12, deadline))
    if size > MAX_FRAME or count > MAX_ITEMS:
        raise ProtocolError(f"message of {size} bytes / {count} arrays is over the limit")
    body = _read_exact(fd, size, deadline)
    pos, items = 0, []
    for _ in range(count + 1):
        if pos + 8 > len(body):
            raise ProtocolError("truncated message")
        (n,) = struct.unpack_from(">Q", body, pos)
        pos += 8
        if pos + n > len(body) or (not items and n > MAX_HEADER):
            raise ProtocolError("truncated or oversized message")
        items.append(body[pos:pos + n])
        pos += n
    try:
        header = json.loads(items[0])
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"bad header: {err}") from None
    return header, items[1:]


# ---------------------------------------------------------------------------------------------------------------
# Values

def _modules():
    """NumPy and torch, if this process has imported them (we never import torch just to send a value)."""
    return sys.modules.get("numpy"), sys.modules.get("torch")


def _npy(array):
    buf = io.BytesIO()
    import numpy as np
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _from_npy(blob):
    import numpy as np
    try:
        array = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as err:  # a malformed .npy from the other side
        raise ProtocolError(f"bad array: {err}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in NUMERIC_KINDS:
        raise ProtocolError("an array of a dtype that may not cross")
    return array


HOOK_KEYS = ("hooks",)  # nn.Module attributes holding callables: a module crosses by value only without them


def module_class_ok(path):
    """Module classes that may cross by value: torch.nn's own layers and the course's cnntools models."""
    return type(path) is str and (path.startswith("torch.nn.") or path.startswith("cnntools."))


def class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


class Encoder:
    """Turns a value into a JSON tree plus blobs.

    side.handle(obj): what a non-data object becomes (the sandbox makes a handle; the trusted side may send back
    handles it received, and refuses anything else).
    side.mirror(obj): the id of an object the other side sent in this call (so it goes back as a reference), or None.
    Arrays, tensors and torch modules get an id within the message, so that an object sent twice arrives once and
    the receiver can tell which of its objects came back.
    """

    def __init__(self, side, prefix):
        self.side = side
        self.prefix = prefix
        self.blobs = []
        self.items = 0
        self.memo = {}
        self.keep = []

    def blob(self, data):
        self.blobs.append(data)
        return len(self.blobs) - 1

    def new_id(self, v):
        mid = f"{self.prefix}{len(self.memo) + 1}"
        self.memo[id(v)] = mid
        self.keep.append(v)
        return mid

    def encode(self, v, depth=0):
        t = type(v)
        self.items += 1
        if v is None:
            return ["none"]
        if t is bool:
            return ["bool", v]
        if t is int:
            return ["int", v] if abs(v) < 1 << 63 else ["bigint", str(v)]
        if t is float:
            return ["float", repr(v)]
        if t is complex:
            return ["complex", repr(v.real), repr(v.imag)]
        if t is str:
            return ["str", v]
        if t is bytes:
            return ["bytes", base64.b64encode(v).decode()]
        if v is Ellipsis:
            return ["ellipsis"]
        if id(v) in self.memo:
            return ["mirror", self.memo[id(v)]]
        mid = self.side.mirror(v)
        if mid is not None:
            return ["mirror", mid]
        if depth < MAX_DEPTH and self.items < MAX_ITEMS:
            if t in (tuple, list, set, frozenset):
                if len(v) + self.items < MAX_ITEMS:
                    return [t.__name__, [self.encode(x, depth + 1) for x in v]]
            elif t is dict or t.__module__ == "collections" and t.__name__ == "OrderedDict":
                if len(v) + self.items < MAX_ITEMS:
                    return ["dict" if t is dict else "odict",
                            [[self.encode(k, depth + 1), self.encode(x, depth + 1)] for k, x in v.items()]]
            elif t is slice:
                return ["slice", self.encode(v.start, depth + 1), self.encode(v.stop, depth + 1),
                        self.encode(v.step, depth + 1)]
            elif t is range:
                return ["range", v.start, v.stop, v.step]
        np, torch = _modules()
        if np is not None:
            if t is np.ndarray and v.dtype.kind in NUMERIC_KINDS:
                return ["ndarray", self.blob(_npy(v)), self.new_id(v)]
            if isinstance(v, np.generic) and t.__module__ == "numpy" and v.dtype.kind in NUMERIC_KINDS:
                return ["npscalar", self.blob(_npy(np.asarray(v)))]
            if t.__module__ == "numpy" and isinstance(v, np.dtype) and v.kind in NUMERIC_KINDS:
                return ["npdtype", v.str]
        if torch is not None:
            if t in (torch.Tensor, torch.nn.Parameter) and v.layout == torch.strided and not v.is_quantized:
                return self.tensor(v, t is torch.nn.Parameter, torch)
            if t is torch.Size:
                return ["size", [int(x) for x in v]]
            if t is torch.dtype:
                return ["tdtype", str(v).replace("torch.", "")]
            if t is torch.device:
                return ["device", str(v)]
            if isinstance(v, torch.nn.Module) and depth < MAX_DEPTH:
                tree = self.module(v, depth)
                if tree is not None:
                    return tree
        return self.side.handle(v)

    def tensor(self, v, is_param, torch):
        def data(x):
            x = x.detach().cpu()
            if x.dtype == torch.bfloat16:
                x = x.to(torch.float32)
            return self.blob(_npy(x.resolve_conj().resolve_neg().numpy()))
        grad = v.grad if v.is_leaf else None  # (a non-leaf tensor has no .grad of its own)
        grad = data(grad) if grad is not None and grad.layout == torch.strided else None
        return ["tensor", data(v), str(v.dtype).replace("torch.", ""), bool(v.requires_grad), is_param, grad,
                self.new_id(v)]

    def module(self, v, depth, mid=None):
        """A torch module by value: its class (torch.nn's or cnntools') and its attributes, or None when it has
        hooks or holds anything that is not data, a tensor or another such module."""
        cls = type(v)
        path = class_path(cls)
        if not module_class_ok(cls.__module__ + "."):
            return None
        attrs = vars(v)
        if any(any(h in k for h in HOOK_KEYS) and x for k, x in attrs.items()):
            return None
        saved = (len(self.blobs), dict(self.memo), len(self.keep), self.items)
        mid = mid or self.new_id(v)
        try:
            body = [[k, self.encode(x, depth + 1)] for k, x in attrs.items() if type(k) is str]
        except Unsendable:
            body = None
        if body is None or _has_handle(body):
            del self.blobs[saved[0]:]
            self.memo, self.items = saved[1], saved[3]
            del self.keep[saved[2]:]
            return None
        return ["module", mid, path, body]


    def update(self, v, mid):
        """The state of an object the other side sent (`mid`), to be copied back into its original."""
        np, torch = _modules()
        if torch is not None and isinstance(v, torch.nn.Module):
            return self.module(v, 0, mid) or ["unsupported", mid, "it now holds hooks or objects that are not data"]
        if torch is not None and isinstance(v, torch.Tensor):
            tree = self.tensor(v, isinstance(v, torch.nn.Parameter), torch)
        elif np is not None and isinstance(v, np.ndarray) and v.dtype.kind in NUMERIC_KINDS:
            tree = ["ndarray", self.blob(_npy(v)), None]
        else:
            return ["unsupported", mid, f"it became a {type(v).__name__}"]
        tree[-1] = mid
        self.memo[id(v)] = mid
        return tree


def _has_handle(tree):
    if type(tree) is list:
        if tree and tree[0] in ("handle", "ref"):
            return True
        return any(_has_handle(x) for x in tree)
    return False


class Decoder:
    """The inverse of Encoder.

    side.handle(tag, args): a handle or a reference back into an object.
    side.mirror(mid): the receiver's own object for an id it sent in this call (KeyError if unknown).
    side.module_class(path): the class for a module crossing by value (raises ProtocolError if not allowed).
    side.received(mid, obj): told of every array, tensor and module that arrives with an id.
    """

    def __init__(self, blobs, side):
        self.blobs = blobs
        self.side = side
        self.memo = {}
        self.in_module = 0

    def take(self, i):
        if type(i) is not int or not 0 <= i < len(self.blobs):
            raise ProtocolError("bad blob index")
        return self.blobs[i]

    def remember(self, mid, obj):
        if type(mid) is str and mid:
            self.memo[mid] = obj
            self.side.received(mid, obj)
        return obj

    def decode(self, tree, depth=0):
        if type(tree) is not list or not tree or type(tree[0]) is not str or depth > MAX_DEPTH + 2:
            raise ProtocolError("bad value")
        tag, args = tree[0], tree[1:]
        try:
            if tag == "none":
                return None
            if tag == "bool" and type(args[0]) is bool:
                return args[0]
            if tag == "int" and type(args[0]) is int:
                return args[0]
            if tag == "bigint" and type(args[0]) is str:
                return int(args[0])
            if tag == "float" and type(args[0]) is str:
                return float(args[0])
            if tag == "complex":
                return complex(float(args[0]), float(args[1]))
            if tag == "str" and type(args[0]) is str:
                return args[0]
            if tag == "bytes":
                return base64.b64decode(args[0], validate=True)
            if tag == "ellipsis":
                return Ellipsis
            if tag in ("tuple", "list", "set", "frozenset") and type(args[0]) is list:
                items = [self.decode(x, depth + 1) for x in args[0]]
                return {"tuple": tuple, "list": list, "set": set, "frozenset": frozenset}[tag](items)
            if tag in ("dict", "odict") and type(args[0]) is list:
                pairs = [(self.decode(k, depth + 1), self.decode(v, depth + 1)) for k, v in args[0]]
                if tag == "dict":
                    return dict(pairs)
                import collections
                return collections.OrderedDict(pairs)
            if tag == "slice":
                return slice(*(self.decode(x, depth + 1) for x in args[:3]))
            if tag == "range" and all(type(x) is int for x in args[:3]):
                return range(args[0], args[1], args[2])
            if tag == "ndarray":
                return self.remember(args[1] if len(args) > 1 else None, _from_npy(self.take(args[0])))
            if tag == "npscalar":
                return _from_npy(self.take(args[0]))[()]
            if tag == "npdtype":
                import numpy as np
                dtype = np.dtype(str(args[0]))
                if dtype.kind not in NUMERIC_KINDS:
                    raise ProtocolError("bad dtype")
                return dtype
            if tag in ("tensor", "size", "tdtype", "device"):
                return self.torch_value(tag, args)
            if tag == "mirror" and type(args[0]) is str:
                if args[0] in self.memo:
                    return self.memo[args[0]]
                return self.side.mirror(args[0])
            if tag == "module":
                return self.module(args, depth)
            if tag == "handle" and self.in_module:  # a module crosses with data only, or not at all
                raise ProtocolError("a module holding objects that are not data")
            if tag in ("handle", "ref"):
                return self.side.handle(tag, args)
        except ProtocolError:
            raise
        except Exception as err:  # wrong arity, wrong types, unknown ids: a malformed message
            raise ProtocolError(f"bad {tag!r} value: {type(err).__name__}: {err}") from None
        raise ProtocolError(f"unknown value tag {tag!r}")

    def module(self, args, depth):
        mid, path, body = args[0], args[1], args[2]
        cls = self.side.module_class(path)
        obj = self.remember(mid, cls.__new__(cls))
        attrs = self.module_attrs(body, depth)
        obj.__dict__.update(attrs)
        return obj

    def module_attrs(self, body, depth):
        if type(body) is not list:
            raise ProtocolError("bad module")
        attrs = {}
        self.in_module += 1
        try:
            for key, value in body:
                if type(key) is not str:
                    raise ProtocolError("bad module attribute")
                attrs[key] = self.decode(value, depth + 1)
                if any(h in key for h in HOOK_KEYS) and attrs[key]:
                    raise ProtocolError("a module with hooks")
        finally:
            self.in_module -= 1
        return attrs

    def torch_value(self, tag, args):
        import torch
        if tag == "size":
            return torch.Size([int(x) for x in args[0] if type(x) is int])
        if tag == "device":
            return torch.device(str(args[0]))
        dtype = getattr(torch, str(args[0]) if tag == "tdtype" else str(args[1]), None)
        if not isinstance(dtype, torch.dtype):
            raise ProtocolError("bad torch dtype")
        if tag == "tdtype":
            return dtype

        def tensor(i):
            return torch.from_numpy(_from_npy(self.take(i)).copy()).to(dtype)
        value = tensor(args[0])
        if args[2] is True and (value.is_floating_point() or value.is_complex()):
            value.requires_grad_(True)
        if args[3] is True:
            value = torch.nn.Parameter(value, requires_grad=value.requires_grad)
        if args[4] is not None and value.requires_grad:
            value.grad = tensor(args[4])
        return self.remember(args[5] if len(args) > 5 else None, value)


def encode_many(values, side, prefix="n"):
    """Several values sharing one list of blobs (and one set of ids): ([trees], blobs, encoder)."""
    enc = Encoder(side, prefix)
    return [enc.encode(v) for v in values], enc.blobs, enc
