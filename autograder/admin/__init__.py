"""The course's operations around grading: release and publish, course settings, what a submission folder is,
collecting an LMS's download, the LMS's formats, the late-work rules, and the class's similarity report (which
renders with the results' templates).

May import: base, execution, results.
"""
