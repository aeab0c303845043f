"""nbgrader configuration of geom101, a small course in nbgrader's default style.

It is a fixture of tests/autograder/test_nbgrader_course.py: the autograder must honour
these settings (course id, stubs, header, ignore list, cell timeout) and grade this
course exactly as plain ``nbgrader autograde`` does. Run nbgrader from this folder.
"""

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "geom101"
# nbgrader's own default code stub; a text stub of this course's own
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "Write your answer here."
# every student version starts with the course's header notebook
c.IncludeHeaderFooter.header = "source/header.ipynb"
# scratch files of the instructor never reach a release
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "scratch*"]
# a test cell that runs longer than this fails
c.ExecutePreprocessor.timeout = 20
