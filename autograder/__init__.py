"""The course's grading pipeline on top of nbgrader: ``python -m autograder release|grade`` (see ``__main__``)."""
import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed (jupyter-events' extra brings it), only to
# check "iri" formats, which no notebook schema uses; building its grammar costs 0.8 s in every process that
# grades (the run and the server that forks the jobs, both on the way to the first grade). Without it, jsonschema
# simply skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
