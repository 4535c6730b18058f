"""The course's grading pipeline on top of nbgrader: ``python -m autograder release|grade`` (see ``__main__``).

Its packages are layers, each importing only those below it (each package's docstring names them in its
`May import:` line; tests/test_layers.py checks every import, and that none makes a cycle): the command line
(``__main__``, ``gradescope``) -> ``run`` (a grading run and where its jobs go) -> ``admin`` (the course's
operations) -> ``execution`` (one job graded with nbgrader) -> ``results`` (results, pages) -> ``sandbox`` (the
student's process) -> the base modules here (errors, files, cells, course, limits, interrupt).

May import: base -> nothing
May import: top -> base, sandbox, results, execution, admin, run
"""
import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed (jupyter-events' extra brings it), only to
# check "iri" formats, which no notebook schema uses; building its grammar costs 0.8 s in every process that
# grades (the run and the server that forks the jobs, both on the way to the first grade). Without it, jsonschema
# simply skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
