"""The operator's mistakes, and errors in one line."""


class UsageError(Exception):
    """A mistake in how a command was called: reported as one line, exit status 2."""


def first_line(err):
    """An exception in one line: the first line of its message, or its type's name when it has none."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def last_line(result):
    """The last line of what an nbgrader API call reported: its error, or else its log."""
    text = (result.get("error") or result.get("log") or "no message").strip()
    return text.splitlines()[-1]
