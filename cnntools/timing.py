"""A small stopwatch for comparing implementations (for instance a loop against its vectorized version)."""
import time


def best_time(function, *args, repeat=5, number=1, **kwargs):
    """Seconds that ``function(*args, **kwargs)`` takes, the best of ``repeat`` measurements.

    Each measurement times ``number`` calls in a row and divides by ``number``. The minimum is the least disturbed
    by whatever else the machine is doing, so it is the fairest number for comparing two implementations.
    """
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be at least 1, got repeat={repeat}, number={number}")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function(*args, **kwargs)
        best = min(best, (time.perf_counter() - start) / number)
    return best
