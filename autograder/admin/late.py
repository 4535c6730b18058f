"""Late work: each assignment's deadline and penalty rule (a YAML file), and what it takes from a submission.

    forward:
      deadline: 2026-12-01T23:59      # ISO 8601; with an offset (+01:00) or in the LMS's clock
      penalty: 10%/day                # or: none
      zero_after: 5                   # days; optional

A day late is any part of one (a minute late is one day). The rule is applied when grades are written, never
while grading: changing it rewrites grades.csv and the pages without regrading anything.
"""
import dataclasses
import math
import re
from datetime import datetime

import yaml

from ..course import check_assignment
from ..errors import UsageError

KEYS = {"deadline", "penalty", "zero_after"}


@dataclasses.dataclass(frozen=True)
class Rule:
    deadline: datetime
    per_day: float = 0.0           # fraction of the score taken per day late
    zero_after: int | None = None  # more days late than this: nothing left


@dataclasses.dataclass(frozen=True)
class Late:
    """What the rule did to one submission: days late ("" when unknown) and the fraction of its score taken."""
    days: int | str
    fraction: float
    notice: str


def _deadline(value, where):
    if isinstance(value, datetime):  # YAML reads an unquoted timestamp with seconds itself
        return value
    try:  # a date alone would be its first minute, rarely what is meant: a time is required
        if re.search(r"\d[T ]\d", str(value)):
            return datetime.fromisoformat(str(value))
    except ValueError:
        pass
    raise UsageError(f"{where}: deadline {str(value)!r} is not a date and time like 2026-12-01T23:59")


def _penalty(value, where):
    if str(value).strip().lower() in ("none", "0", "0%/day"):
        return 0.0
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*/\s*day\s*", str(value))
    if not match or float(match[1]) > 100:
        raise UsageError(f"{where}: penalty {value!r} is neither 'none' nor a percentage per day like 10%/day")
    return float(match[1]) / 100


def load_rules(path):
    """{assignment: Rule} from a late-work file; UsageError naming the first thing wrong in it."""
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except OSError as err:
        raise UsageError(f"cannot read the late-work rules {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise UsageError(f"{path} is not YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} should map each assignment to its deadline and penalty")
    rules = {}
    for assignment, entry in data.items():
        where = f"{path}: {assignment}"
        try:
            check_assignment(str(assignment))
        except UsageError as err:
            raise UsageError(f"{path}: {err}") from None
        if not isinstance(entry, dict) or "deadline" not in entry or set(entry) - KEYS:
            raise UsageError(f"{where}: expected deadline, and optionally penalty and zero_after "
                             f"(got {sorted(entry) if isinstance(entry, dict) else entry!r})")
        zero_after = entry.get("zero_after")
        if zero_after is not None and (type(zero_after) is not int or zero_after < 0):
            raise UsageError(f"{where}: zero_after should be a whole number of days, got {zero_after!r}")
        rules[str(assignment)] = Rule(_deadline(entry["deadline"], where), _penalty(entry.get("penalty", "none"),
                                                                                    where), zero_after)
    return rules


def assess(rule, submitted):
    """The Late of one submission under `rule`, from what collect recorded ({} when nothing)."""
    deadline = rule.deadline
    if submitted.get("time"):
        time = datetime.fromisoformat(submitted["time"])
        if time.tzinfo is None and deadline.tzinfo is not None:  # a zip's times have no zone: the deadline's
            time = time.replace(tzinfo=deadline.tzinfo)
        elif deadline.tzinfo is None and time.tzinfo is not None:
            deadline = deadline.replace(tzinfo=time.tzinfo)
        days = max(0, math.ceil((time - deadline).total_seconds() / 86400))
        when = f"handed in {time:%Y-%m-%d %H:%M}"
    elif submitted.get("late"):
        days, when = 1, "marked late by the LMS, which gave no time (counted as one day late)"
    else:
        return Late("", 0.0, "No submission time is known, so the late-work rule was not applied.")
    if days == 0:
        return Late(0, 0.0, "")
    fraction = 1.0 if rule.zero_after is not None and days > rule.zero_after else min(1.0, rule.per_day * days)
    zero = f", more than {rule.zero_after} days late" if rule.zero_after is not None and days > rule.zero_after else ""
    return Late(days, fraction, f"Late: {when}, {days} day{'s' * (days != 1)} after the deadline "
                                f"({rule.deadline:%Y-%m-%d %H:%M}){zero}: {fraction * 100:.3g}% of the score is taken off.")
