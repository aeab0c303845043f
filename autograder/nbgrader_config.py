"""nbgrader configuration of the treeprop course.

The course's source directory is the repository's ``notebooks/`` folder: each
``notebooks/<id>/`` folder (``01_functions_as_trees`` ... ``09_capstone``) is one
assignment. Everything nbgrader generates (release, submitted, autograded,
feedback and the gradebook) lives under ``build/course/``, which git ignores.

Run nbgrader from the repository root with ``--config autograder/nbgrader_config.py``
or, better, through ``python -m autograder`` / the make targets, which also set up
the sandbox. ``TREEPROP_COURSE_ROOT`` and ``TREEPROP_DB_URL`` override the
course root and the gradebook (SQLite in the course root by default; any
SQLAlchemy URL such as ``postgresql://user@host/db`` works).
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COURSE_ROOT = os.environ.get("TREEPROP_COURSE_ROOT", os.path.join(REPO, "build", "course"))

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.course_id = "treeprop"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.source_directory = os.path.join(REPO, "notebooks")
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = os.environ.get(
    "TREEPROP_DB_URL", "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")
)
# Never copy caches or checkpoints into student versions.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", "*.egg-info",
]

# Student versions: solution regions become this stub, hidden tests are removed.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"Exercise not done yet\")",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True

# Autograding: restore deleted test cells, and keep the kernel from running forever.
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Autograde.create_student = True
