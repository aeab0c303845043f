"""The grader's rubric beside each hand-graded answer, in the notebook the formgrader shows.

The master holds, inside each hand-graded cell's solution region, a model answer and a
per-point rubric. After autograding, a read-only markdown cell with that text is placed
right below the student's answer, so whoever grades by hand in the formgrader reads the
rubric next to the answer. Feedback never shows it: :func:`drop_rubrics` runs before the
feedback is rendered. Cells a submission brought with the rubric's marker are removed
first, so a student cannot plant a "rubric" of their own.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell

ROLE = "rubric"
PENDING_ROLE = "pending"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SCHEME_BEGIN, SCHEME_END = "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="
NO_ANSWER = "*(The master holds no model answer: grade by the question's criteria.)*"


def is_manual(cell) -> bool:
    """A hand-graded answer, or an nbgrader task (graded by hand, points of its own)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and bool(meta.get("solution")) or bool(meta.get("task"))


def is_rubric(cell) -> bool:
    meta = cell.get("metadata", {}).get("treeprop")
    return isinstance(meta, dict) and meta.get("role") == ROLE


def model_answer(source: str) -> str:
    """The master's answer to a hand-graded question (its markers removed), or ''; for a
    task, the mark scheme nbgrader removes from the student version."""
    if SCHEME_BEGIN in source:
        scheme = source.split(SCHEME_BEGIN, 1)[1].split(SCHEME_END, 1)[0]
        return scheme.strip()
    lines = [line for line in source.splitlines() if line.strip() not in (BEGIN, END)]
    text = "\n".join(lines).strip()
    return "" if text in ("", "YOUR ANSWER HERE") else text


def drop_rubrics(nb) -> int:
    """Remove every rubric cell (ours or planted); returns how many were removed."""
    before = len(nb.cells)
    nb.cells = [c for c in nb.cells if not is_rubric(c) and not is_pending_note(c)]
    return before - len(nb.cells)


def rubric_cell(grade_id: str, points, answer: str):
    text = (f"**Grader's rubric for `{grade_id}`** ({points} point(s); instructors only, "
            f"never in the student's feedback)\n\n{answer or NO_ANSWER}")
    cell = new_markdown_cell(text)
    cell.metadata["treeprop"] = {"role": ROLE}
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    return cell


def insert_rubrics(nb, master) -> int:
    """Put the master's rubric below each hand-graded answer; returns how many were placed."""
    drop_rubrics(nb)
    answers = {}
    for cell in master.cells:
        if is_manual(cell):
            meta = cell.metadata["nbgrader"]
            answers[meta.get("grade_id")] = (meta.get("points", 0), model_answer(cell.source))
    cells, placed = [], 0
    for cell in nb.cells:
        cells.append(cell)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if is_manual(cell) and grade_id in answers:
            points, answer = answers.pop(grade_id)  # once per answer, even if duplicated
            cells.append(rubric_cell(grade_id, points, answer))
            placed += 1
    nb.cells = cells
    return placed


def is_pending_note(cell) -> bool:
    meta = cell.get("metadata", {}).get("treeprop")
    return isinstance(meta, dict) and meta.get("role") == PENDING_ROLE


def mark_pending(nb, pending: set[str]) -> int:
    """Say below each answer still awaiting a hand grade that its score is not final."""
    drop_pending_notes(nb)
    cells, marked = [], 0
    for cell in nb.cells:
        cells.append(cell)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if is_manual(cell) and grade_id in pending:
            note = new_markdown_cell(
                f"**Pending:** `{grade_id}` has not been graded by hand yet. The score shown "
                "for it is a placeholder; the final grade comes when your instructor has "
                "read your answer.")
            note.metadata["treeprop"] = {"role": PENDING_ROLE}
            cells.append(note)
            marked += 1
            pending = pending - {grade_id}
    nb.cells = cells
    return marked


def drop_pending_notes(nb) -> None:
    nb.cells = [c for c in nb.cells if not is_pending_note(c)]


def strip_mark_schemes(nb) -> int:
    """Remove nbgrader's mark-scheme regions from the task cells (for the feedback; the
    grader reads them in the formgrader's rubric cells); returns how many cells changed."""
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown" or SCHEME_BEGIN not in cell.source:
            continue
        kept, inside = [], False
        for line in cell.source.splitlines():
            if line.strip() == SCHEME_BEGIN:
                inside = True
            elif line.strip() == SCHEME_END:
                inside = False
            elif not inside:
                kept.append(line)
        cell.source = "\n".join(kept).rstrip()
        changed += 1
    return changed


def restore_tasks(nb, master) -> None:
    """Task cells back as the master has them (locked cells: the master's text, its mark
    scheme included), after the feedback was made without the schemes."""
    tasks = {c.metadata["nbgrader"].get("grade_id"): c.source for c in master.cells
             if c.get("metadata", {}).get("nbgrader", {}).get("task")}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("task") and grade_id in tasks:
            cell.source = tasks[grade_id]
