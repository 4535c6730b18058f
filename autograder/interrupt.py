"""^C during a command: noted the moment it comes, acted on where the run can stop cleanly.

Python raises KeyboardInterrupt at whatever bytecode the main thread runs next. When that is a finaliser (a
`__del__` or a weakref callback, which sqlite3, SQLAlchemy and subprocess run at any allocation), the exception is
printed as "Exception ignored" and dropped: a run that got ^C went on, graded everything and exited 0. So the handler
also keeps a note that the run reads where it waits and before it writes grades.csv (`check`), and wakes the queues
the run waits on (SimpleQueue.put is safe in a signal handler), so a dropped KeyboardInterrupt is raised again there.
"""
import signal
import threading
from contextlib import contextmanager

_noted = threading.Event()
_waiting = []  # queue.SimpleQueue objects whose reader must wake on ^C


def install():
    """Take over SIGINT for this process (the main thread of a command)."""
    _noted.clear()
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum, frame):
    _noted.set()
    for queue in list(_waiting):
        queue.put(None)
    raise KeyboardInterrupt


def check():
    """Raise KeyboardInterrupt if ^C came, even if the first one was dropped by a finaliser."""
    if _noted.is_set():
        raise KeyboardInterrupt


def noted():
    return _noted.is_set()


@contextmanager
def waking(queue):
    """While inside, ^C puts None into `queue`, so that a thread blocked on queue.get() wakes."""
    _waiting.append(queue)
    try:
        yield queue
    finally:
        _waiting.remove(queue)


def main_thread_only():
    """For a thread the run starts: ^C is delivered to the main thread, which waits for it, not to this one."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
