# nbgrader's course layout for this repository: the instructor notebooks in solutions/ are the source,
# the student notebooks in notebooks/ the release; everything grading writes stays under _grading/ (git-ignored).
c = get_config()  # noqa: F821 (injected by nbgrader)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "_grading/submitted"
c.CourseDirectory.autograded_directory = "_grading/autograded"
c.CourseDirectory.feedback_directory = "_grading/feedback"
c.CourseDirectory.db_url = "sqlite:///_grading/gradebook.db"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
