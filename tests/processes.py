"""The processes of one grading run, and only of that run: each run labels its processes, the sandboxes included,
with AUTOGRADER_RUN in their environment, so a test never counts another run going on beside it."""
import os
import uuid


def new_run():
    """An environment for one `python -m autograder` run, and its label."""
    label = uuid.uuid4().hex
    return {**os.environ, "AUTOGRADER_RUN": label}, label


def processes_of(label):
    """'pid: command' of every live process labelled `label`."""
    found, mark = [], f"AUTOGRADER_RUN={label}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours to read
            continue
        found.append(f"{pid}: {cmd[:200]}")
    return found
