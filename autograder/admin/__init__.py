"""The course's operations around grading: release and publish, course settings, what a submission folder is,
collecting an LMS's download, the LMS's formats and the late-work rules.

May import: base, execution.
"""
