"""The processes under one process, read from /proc: used on both sides of the sandbox (inside it as a plain file
next to ``sandbox_main.py``, so it imports nothing from the package)."""
import os
import signal
import time


def parent_and_state(pid):
    """(parent pid, state letter) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[1]), fields[0].decode()


def alive(pid):
    """Whether a process is there and not a zombie (dead, waiting for its parent to read its exit status)."""
    info = parent_and_state(pid)
    return info is not None and info[1] != "Z"


def descendants(pid, zombies=True):
    """pid and all its descendants (without the zombies, which hold no memory and run nothing, if asked)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = parent_and_state(entry)
            if info and (zombies or info[1] != "Z"):
                children.setdefault(info[0], []).append(int(entry))
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


def kill_under(pid, wait=10.0, between=None):
    """SIGKILL every live process under `pid` (not `pid` itself) and, for up to `wait` seconds, what they fork
    meanwhile, until none is left; `between` is called after each pass (a parent reaping its children)."""
    end = time.monotonic() + wait
    while True:
        left = [p for p in descendants(pid, zombies=False) if p != pid]
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if not left or time.monotonic() >= end:
            return
        time.sleep(0.005)
        if between is not None:
            between()
