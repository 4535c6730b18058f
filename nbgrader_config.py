# nbgrader's course layout for this repository: the instructor notebooks in solutions/ are the source; everything
# nbgrader's own commands write stays under _grading/ (git-ignored), created here since a fresh clone lacks it.
# Its release goes to _grading/release: notebooks/ is `python -m autograder release`'s (with the install cell and
# the book's tags), and `generate_assignment --force` would replace those committed files.
import os

os.makedirs("_grading", exist_ok=True)
c = get_config()  # noqa: F821 (injected by nbgrader)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "_grading/release"
c.CourseDirectory.submitted_directory = "_grading/submitted"
c.CourseDirectory.autograded_directory = "_grading/autograded"
c.CourseDirectory.feedback_directory = "_grading/feedback"
c.CourseDirectory.db_url = "sqlite:///_grading/gradebook.db"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.CsvExportPlugin.to = "_grading/grades.csv"
