"""treeprop's autograder: nbgrader as the engine, plus a sandbox, parallel grading and a
gradebook written by one coordinator.

Layout of the work (see ``worker.py``, ``executors.py``, ``coordinator.py``):

* :func:`autograder.worker.grade_submission` grades ONE submission (student x assignment)
  in a private temporary course directory and returns a :class:`autograder.worker.GradeResult`
  (plain data, JSON/pickle friendly); it never touches the shared gradebook;
* an executor (:mod:`autograder.executors`) maps that function over jobs
  (``map(fn, jobs) -> iterator of (job, result)``);
* :class:`autograder.coordinator.Coordinator` in the main process writes each result into
  the gradebook exactly once.
"""

from .course import Course, assignment_ids, generate_student_versions

__all__ = ["Course", "assignment_ids", "generate_student_versions"]
