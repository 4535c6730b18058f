"""Execution: one job graded with nbgrader on one machine. The executor (a machine's fork server, sandbox and warm
zygotes) forks a grading process per job (worker.py), which runs nbgrader's autograde with our two steps (rebuild.py,
execute.py, wired in nbgrader_app.py); the class gradebook (gradebook.py) is nbgrader's too.

May import: base, sandbox, results.
"""
