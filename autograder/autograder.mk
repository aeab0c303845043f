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
	$(GRADER) $(GRADER_OPTS) export --csv $(EXPORT_CSV) $(EXPORT_OPTS)

# The autograder's own tests (real nbgrader, bwrap, PostgreSQL started on loopback).
.PHONY: test-autograder
test-autograder: setup system-bubblewrap system-postgresql
	$(BIN)/python -m pytest -q tests/autograder/test_autograder.py tests/autograder/test_course.py

# -- after grading (issue 14): hand grades, LMS layouts, item analysis -------------------------
#   make formgrade  nbgrader's formgrader on the course's gradebook (written answers), on
#                   127.0.0.1:FORMGRADE_PORT (8889) with its own workspace; Ctrl-C stops it
#   make export FORMAT=canvas|moodle [ROSTER=roster.csv] [ALLOW_PENDING=1]
#                   grades in the LMS's import layout (build/grades-<format>.csv); the roster
#                   (student_id plus LMS names/ids, see autograder/autograder/lms_export.py)
#                   supplies who each student is in the LMS
#   make report     item analysis: $(COURSE)/reports/index.html and one page per assignment
FORMAT         ?= csv
ROSTER         ?=
ALLOW_PENDING  ?=
FORMGRADE_PORT ?= 8889
SOURCE         ?=
EXPORT_CSV     ?= build/grades$(if $(filter-out csv,$(FORMAT)),-$(FORMAT)).csv
EXPORT_OPTS    := --format $(FORMAT) $(if $(ROSTER),--roster '$(ROSTER)') \
                  $(if $(ALLOW_PENDING),--allow-pending)
AFTER_OPTS     := $(GRADER_OPTS) $(if $(SOURCE),--source '$(SOURCE)')

.PHONY: formgrade report
formgrade: setup
	$(GRADER) $(AFTER_OPTS) formgrade --port $(FORMGRADE_PORT)

report: setup
	$(GRADER) $(AFTER_OPTS) report
