# Autograding workflow over nbgrader (included by the main Makefile).
#   make students   student versions of every course notebook into build/course/release
#   make release    student versions + the student pack zip (build/treeprop-student-pack.zip)
#   make grade      autograde everything under build/course/submitted (LMS=export.zip to collect first)
#   make feedback   per-student HTML feedback without hidden test code
#   make export     build/grades.csv: one row per student and notebook, plus totals
# Options: WORKERS=N (default: number of cores), DB_URL=postgresql://... (default SQLite),
#          COURSE=dir (default build/course; its own nbgrader_config.py, if any, is honoured:
#          course id, stubs, header, ignore list, cell timeout), SOURCE=dir (the masters:
#          default the config's source_directory, else the course's own source/ if it has
#          one, else notebooks/), LMS=zip ASSIGNMENT=id (an LMS export for
#          zip_collect), CELL_SECONDS / NOTEBOOK_SECONDS (wall-time limits, 60 / 600).

GRADER      := PYTHONPATH=autograder$(if $(PYTHONPATH),:$(PYTHONPATH)) $(BIN)/python -m autograder
COURSE      ?= build/course
WORKERS     ?=
DB_URL      ?=
LMS         ?=
ASSIGNMENT  ?=
CELL_SECONDS     ?=
NOTEBOOK_SECONDS ?=
SOURCE      ?=
GRADER_OPTS := --course $(COURSE) $(if $(SOURCE),--source '$(SOURCE)') \
               $(if $(DB_URL),--db-url '$(DB_URL)') $(if $(WORKERS),--workers $(WORKERS))

# Masters of the nine assignments (notebooks/<id>/<id>.ipynb; extras/ is not an assignment).
COURSE_MASTERS := $(wildcard notebooks/[0-9][0-9]_*/*.ipynb)
STUDENTS_STAMP := $(COURSE)/release/.stamp

# `make lab` opens its own copy of the student versions (build/lab): what you type there
# never reaches the release or the pack, and a regenerated release never overwrites it.
LAB_COPY := build/lab
LAB_DIR  := $(LAB_COPY)
LAB_DEPS += lab-copy

.PHONY: students release grade feedback export

$(STUDENTS_STAMP): $(COURSE_MASTERS) autograder/nbgrader_config.py | setup-lab
	$(GRADER) $(GRADER_OPTS) students
	@mkdir -p $(dir $@) && touch $@

students: $(STUDENTS_STAMP)

# Always fresh: the pack is zipped from student versions generated right here.
release: setup
	$(GRADER) $(GRADER_OPTS) release
	@mkdir -p $(dir $(STUDENTS_STAMP)) && touch $(STUDENTS_STAMP)

.PHONY: lab-copy
lab-copy: $(STUDENTS_STAMP)
	$(GRADER) $(GRADER_OPTS) lab-copy --to $(LAB_COPY)

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
# next to the course folder: build/grades.csv for build/course
EXPORT_CSV     ?= $(dir $(abspath $(COURSE)))grades$(if $(filter-out csv,$(FORMAT)),-$(FORMAT)).csv
EXPORT_OPTS    := --format $(FORMAT) $(if $(ROSTER),--roster '$(ROSTER)') \
                  $(if $(ALLOW_PENDING),--allow-pending)
AFTER_OPTS     := $(GRADER_OPTS)

.PHONY: formgrade report
formgrade: setup
	$(GRADER) $(AFTER_OPTS) formgrade --port $(FORMGRADE_PORT)

report: setup
	$(GRADER) $(AFTER_OPTS) report
