"""What a grading run allows each submission: built once, from the command line and the environment, carried in
each job's spec and in its cache key (so that changing a limit regrades)."""
import dataclasses
import os

from .errors import UsageError

# environment variable -> field, for the limits that have no command-line flag
FROM_ENV = {"AUTOGRADER_MEMORY_MB": "memory_mb", "AUTOGRADER_HOME_MB": "home_mb", "AUTOGRADER_TMP_MB": "tmp_mb",
            "AUTOGRADER_NPROC": "processes"}


@dataclasses.dataclass(frozen=True)
class Limits:
    timeout: int = 120         # seconds per cell (--timeout); a notebook gets ten times that
    memory_mb: int = 4096      # the student's processes together
    home_mb: int = 256         # the sandbox's writable home and its /tmp, each
    tmp_mb: int = 256
    file_size_mb: int = 256    # any one file the student writes
    processes: int = 512       # processes of the sandbox's user (as root)
    threads: int = 1           # NumPy/torch threads: how the machine is shared, not what a student may use

    @classmethod
    def from_env(cls, timeout=120, threads=1, environ=os.environ):
        values = {"timeout": timeout, "threads": threads}
        for var, field in FROM_ENV.items():
            if environ.get(var):
                try:
                    values[field] = int(environ[var])
                except ValueError:
                    raise UsageError(f"{var} must be a whole number, got {environ[var]!r}") from None
        if timeout < 1:
            raise UsageError(f"--timeout must be at least 1 second, got {timeout}")
        for var, field in FROM_ENV.items():
            if values.get(field, 1) < 1:
                raise UsageError(f"{var} must be at least 1, got {values[field]}")
        return cls(**values)

    @property
    def notebook_timeout(self):
        return 10 * self.timeout

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)

    def key(self):
        """What decides grades: every limit but the threads (which follow --jobs)."""
        return {k: v for k, v in self.to_json().items() if k != "threads"}
