"""What must never reach students or readers: the lines of the solution regions and hidden tests in solutions/."""
import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def answer_lines(min_length=25):
    """{line: notebook} for each distinctive line that occurs only inside solution regions and hidden tests."""
    inside, outside = {}, set()
    for path in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for _, body in REGION.findall(cell.source):
                for line in map(str.strip, body.splitlines()):
                    if len(line) >= min_length and not line.startswith("#"):
                        inside.setdefault(line, path.relative_to(REPO))
            outside.update(map(str.strip, REGION.sub("", cell.source).splitlines()))
    return {line: where for line, where in inside.items() if line not in outside}
