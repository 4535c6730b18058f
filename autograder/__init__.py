"""The course's grading pipeline on top of nbgrader: ``python -m autograder release|grade`` (see ``__main__``)."""
