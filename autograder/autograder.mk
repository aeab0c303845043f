# Autograding workflow over nbgrader (included by the main Makefile).
#   make students   student versions of every course notebook into build/course/release
#   make release    student versions + the student pack zip (build/treeprop-student-pack.zip)
#   make grade      autograde everything under build/course/submitted (LMS=export.zip to collect first)
#   make feedback   per-student HTML feedback without hidden test code
#   make export     build/grades.csv: one row per student and notebook, plus totals
# Options: WORKERS=N (default: number of cores), DB_URL=postgresql://... (default SQLite),
#          COURSE=dir (default build/course), LMS=zip ASSIGNMENT=id (an LMS export for
#          zip_collect), CELL_SECONDS / NOTEBOOK_SECONDS (wall-time limits, 60 / 600).

GRADER      := PYTHONPATH=autograder$(if $(PYTHONPATH),:$(PYTHONPATH)) $(BIN)/python -m autograder
COURSE      ?= build/course
WORKERS     ?=
DB_URL      ?=
LMS         ?=
ASSIGNMENT  ?=
CELL_SECONDS     ?=
NOTEBOOK_SECONDS ?=
GRADER_OPTS := --course $(COURSE) $(if $(DB_URL),--db-url '$(DB_URL)') $(if $(WORKERS),--workers $(WORKERS))

# Masters of the nine assignments (notebooks/<id>/<id>.ipynb; extras/ is not an assignment).
COURSE_MASTERS := $(wildcard notebooks/[0-9][0-9]_*/*.ipynb)
STUDENTS_STAMP := $(COURSE)/release/.stamp

# `make lab` opens the student versions, regenerated only when a master changed.
LAB_DIR  := $(COURSE)/release
LAB_DEPS += students

.PHONY: students release grade feedback export

$(STUDENTS_STAMP): $(COURSE_MASTERS) autograder/nbgrader_config.py | setup-lab
	$(GRADER) $(GRADER_OPTS) students
	@mkdir -p $(dir $@) && touch $@

students: $(STUDENTS_STAMP)

release: setup $(STUDENTS_STAMP)
	$(GRADER) $(GRADER_OPTS) release --skip-students

grade: setup system-bubblewrap
	$(GRADER) $(GRADER_OPTS) grade $(if $(LMS),--lms-zip '$(LMS)') \
	  $(if $(ASSIGNMENT),--assignment '$(ASSIGNMENT)') \
	  $(if $(CELL_SECONDS),--cell-seconds $(CELL_SECONDS)) \
	  $(if $(NOTEBOOK_SECONDS),--notebook-seconds $(NOTEBOOK_SECONDS))

feedback: setup
	$(GRADER) $(GRADER_OPTS) feedback

export: setup
	$(GRADER) $(GRADER_OPTS) export --csv build/grades.csv

# The autograder's own tests (real nbgrader, bwrap, PostgreSQL started on loopback).
.PHONY: test-autograder
test-autograder: setup system-bubblewrap system-postgresql
	$(BIN)/python -m pytest -q tests/autograder/test_autograder.py tests/autograder/test_course.py
