"""Stage one submission: copy what may be graded, refuse (and name) everything else.

Why this module exists: the submission folder is written by the student (or extracted
from their upload), so nothing in it is trusted. The grader reads it without ever
following a symbolic link (a link to the gradebook, a master, another student's notebook
or ``/etc/passwd`` is refused, never copied into the sandbox or the feedback), reads
only regular files that are not hard-linked elsewhere, and bounds the number, depth and
size of the files it reads.

What reaches the kernel's working folder (the first entry on the kernel's ``sys.path``):
the assignment's notebooks (sanitised), the assignment's own data files (the
instructor's copy, never the student's), and the student's files that match the
course's allow-list (:attr:`autograder.sandbox.Limits.allowed_files`). Any other file a
student sends (a companion module, a folder that shadows ``treeprop``, a
``sitecustomize.py``, a ``.pth``, an ``__init__.py``, an IPython config) is not
importable by the kernel; it is named in the submission's messages for a human to look
at. Some names are refused even when the allow-list matches them, because Python,
IPython or Jupyter would run them at start-up.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Limits

SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__"}
MAX_DEPTH = 8
MAX_NOTES = 20  # refused entries named one by one; the rest are counted
# Names that configure an interpreter, IPython or Jupyter when they are merely present
# in the working folder (or the home): never staged, whatever the allow-list says.
NEVER_STAGED = (
    "sitecustomize.py", "usercustomize.py", "*.pth", "*.pyc", "*.pyd", "*.so",
    "ipython_config.py", "ipython_kernel_config.py", "jupyter_*config.*", ".*",
    "*.egg-link",
)
IMPORTABLE = ("*.py", "*.pyw", "*.pth", "*.so", "*.pyd", "*.pyc", "__init__.py")


def printable(text: str, limit: int = 80) -> str:
    """A file or folder name as it can be shown safely (no control chars, valid UTF-8)."""
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in shown)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name (surrogates)
        return False
    return name.isprintable() and len(name.encode()) <= 200


@dataclass
class Inventory:
    """The regular files of a submission folder (relative posix path -> size), and notes."""

    files: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # names refused, for the checksum
    notes: list[str] = field(default_factory=list)  # clear messages for the summary


def scan(folder: Path, limits: Limits) -> Inventory:
    """Walk ``folder`` without following links; never raises for what a student did."""
    inventory = Inventory()
    total = 0
    root = Path(folder)

    def refuse(rel: str, why: str) -> None:
        inventory.refused.append(f"{rel}\0{why}")
        if len(inventory.notes) < MAX_NOTES:
            inventory.notes.append(f"{printable(rel)}: {why}")
        elif len(inventory.notes) == MAX_NOTES:
            inventory.notes.append("... more entries refused (not listed)")

    def walk(directory: Path, prefix: str, depth: int) -> None:
        nonlocal total
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            refuse(prefix or ".", f"folder could not be read ({error.strerror}); skipped")
            return
        for entry in entries:
            rel = prefix + entry.name
            if not _valid_name(entry.name):
                refuse(rel, "file name is not printable UTF-8; not graded")
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                refuse(rel, "could not be read; not graded")
                continue
            if stat.S_ISLNK(info.st_mode):
                refuse(rel, "is a symbolic link; links are never followed, not graded")
            elif stat.S_ISDIR(info.st_mode):
                if entry.name in SKIPPED_DIRS:
                    continue
                if depth >= MAX_DEPTH:
                    refuse(rel, f"folder nested deeper than {MAX_DEPTH} levels; not graded")
                    continue
                walk(Path(entry.path), rel + "/", depth + 1)
            elif not stat.S_ISREG(info.st_mode):
                refuse(rel, "is not a regular file (device, pipe or socket); not graded")
            elif info.st_nlink > 1:
                refuse(rel, "is a hard link to a file elsewhere on the grader's disk; "
                       "not graded")
            elif len(inventory.files) >= limits.submission_files:
                refuse(rel, f"more than {limits.submission_files} files in the submission; "
                       "not graded")
            elif info.st_size > limits.submission_file_bytes:
                refuse(rel, f"larger than {limits.submission_file_bytes} bytes; not graded")
            elif total + info.st_size > limits.submission_bytes:
                refuse(rel, f"the submission exceeds {limits.submission_bytes} bytes; "
                       "not graded")
            else:
                inventory.files[rel] = info.st_size
                total += info.st_size

    try:
        top = os.lstat(root)
    except OSError:
        inventory.notes.append("the submission folder could not be read")
        return inventory
    if not stat.S_ISDIR(top.st_mode):
        refuse(".", "the submission folder is a symbolic link or not a folder; not graded")
        return inventory
    walk(root, "", 0)
    if len(inventory.refused) > MAX_NOTES:
        inventory.notes[-1] = f"... and {len(inventory.refused) - MAX_NOTES} more entries refused"
    return inventory


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a regular file without following a link (also if it was swapped meanwhile)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise OSError(f"{path.name} is not a plain file")
        chunks, size = [], 0
        while True:
            chunk = os.read(descriptor, 1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise OSError(f"{path.name} grew beyond {max_bytes} bytes while read")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def submission_checksum(folder: Path, limits: Limits | None = None) -> str:
    """sha256 over the names and contents of the files a grading would read.

    The same digest as the old ``worker.submission_checksum`` for a plain folder (so
    recorded submissions are not regraded), but links are not followed and sizes are
    bounded: a file that is too big counts by its name and size only.
    """
    limits = limits or Limits()
    inventory = scan(Path(folder), limits)
    digest = hashlib.sha256()
    for rel in sorted(inventory.files, key=lambda r: r.split("/")):
        digest.update(rel.encode() + b"\0")
        try:
            digest.update(read_bytes(Path(folder) / rel, limits.submission_file_bytes))
        except OSError as error:
            digest.update(f"unreadable: {error}".encode())
        digest.update(b"\0")
    for item in sorted(inventory.refused):
        digest.update(b"refused\0" + item.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _matches(rel: str, patterns) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p)
               for p in patterns)


def never_staged(rel: str) -> bool:
    """A name Python/IPython/Jupyter acts on by its mere presence (or a dot file)."""
    return any(_matches(part, NEVER_STAGED) for part in rel.split("/"))


CELL_META_KEEP = {"nbgrader": dict, "tags": list, "editable": bool, "deletable": bool}


def clean_notebook_json(data: bytes) -> bytes:
    """The submitted notebook with everything the grader does not need made harmless.

    Notebook metadata (free for the student to fill with values of any type or size)
    is dropped except ``kernelspec``/``language_info`` dicts; cell metadata keeps only
    ``nbgrader``, ``tags`` and the edit flags, when of the right type; saved outputs and
    execution counts are cleared (the grader runs every cell again). What is not JSON
    is returned unchanged, for :func:`autograder.worker.sanitize_notebook` to report.
    """
    import json

    try:
        nb = json.loads(data)
    except Exception:  # not JSON, not UTF-8, nested too deep
        return data
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return data
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    nb["metadata"] = {key: meta[key] for key in ("kernelspec", "language_info")
                      if isinstance(meta.get(key), dict) and len(json.dumps(meta[key])) < 4096}
    cells = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown",
                                                                       "raw"):
            continue
        cell_meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cell["metadata"] = {key: cell_meta[key] for key, kind in CELL_META_KEEP.items()
                            if isinstance(cell_meta.get(key), kind)}
        tags = cell["metadata"].get("tags")
        if tags is not None and not all(isinstance(t, str) for t in tags):
            del cell["metadata"]["tags"]
        if not isinstance(cell.get("id"), str):
            cell.pop("id", None)
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell["source"] = "".join(source)
        elif not isinstance(source, str):
            cell["source"] = ""
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            attachments = cell.get("attachments")
            if attachments is not None and not (isinstance(attachments, dict) and all(
                    isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
                    for v in attachments.values())):
                del cell["attachments"]
        cells.append(cell)
    nb["cells"] = cells
    return json.dumps(nb).encode()


def _copy_bytes(data: bytes, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    dest.chmod(0o644)


def stage_submission(job, result, sub_dir: Path, work: Path, ids_of: dict[str, set[str]]
                     ) -> dict:
    """Steps 1-2 of grading: the checked notebooks in ``sub_dir``, the kernel's ``work``.

    Returns the readable notebooks (name -> notebook), already written to ``sub_dir``.
    Messages for the summary go to ``result.messages``.
    """
    import nbformat

    from .worker import _grade_ids_of, sanitize_notebook

    limits = Limits.from_dict(job.limits)
    submitted = Path(job.submission)
    template_source = Path(job.template) / "source" / job.assignment
    inventory = scan(submitted, limits)
    result.messages += [f"file {note}" for note in inventory.notes]

    # the assignment's own files (the instructor's copy wins over the student's)
    assignment_files = set()
    if template_source.is_dir():
        for path in template_source.rglob("*"):
            rel = path.relative_to(template_source).as_posix()
            if path.is_file() and path.suffix != ".ipynb" and not (
                    SKIPPED_DIRS & set(rel.split("/"))):
                assignment_files.add(rel)

    staging = sub_dir.parent / f".{job.assignment}.staging"
    staging.mkdir(parents=True, exist_ok=True)
    all_ids = set().union(*ids_of.values()) if ids_of else set()
    found_nbs: dict[str, Path] = {}
    allowed: dict[str, bytes] = {}
    extras: list[str] = []
    for rel, _size in inventory.files.items():
        if rel == "timestamp.txt":
            continue
        path = submitted / rel
        if "/" not in rel and rel.endswith(".ipynb"):
            try:
                data = read_bytes(path, limits.submission_file_bytes)
            except OSError as error:
                result.messages.append(f"file {printable(rel)}: could not be read ({error})")
                continue
            copy = staging / rel
            copy.write_bytes(clean_notebook_json(data))
            found_nbs[rel[:-len(".ipynb")]] = copy
        elif rel in assignment_files:
            continue  # the instructor's copy is used
        elif rel.endswith(".ipynb"):
            extras.append(rel)
        elif _matches(rel, limits.allowed_files) and not never_staged(rel):
            try:
                allowed[rel] = read_bytes(path, limits.submission_file_bytes)
            except OSError as error:
                result.messages.append(f"file {printable(rel)}: could not be read ({error})")
        else:
            extras.append(rel)
    if extras:
        shown = ", ".join(printable(rel) + (" (code)" if _matches(rel, IMPORTABLE) else "")
                          for rel in extras[:12]) + (", ..." if len(extras) > 12 else "")
        result.messages.append(
            f"review: {len(extras)} extra file(s) not given to the kernel (only the "
            f"notebooks, the assignment's own files and allowed files are): {shown}")

    readable = {}
    for stem, path in sorted(found_nbs.items()):
        nb, msgs = sanitize_notebook(path, all_ids)
        result.messages += msgs
        if nb is not None:
            readable[stem] = nb
    # renamed notebooks: an unknown notebook that carries a missing notebook's grade ids
    for name in job.notebooks:
        if name in readable or name in found_nbs:
            continue
        matches = [s for s, nb in readable.items() if s not in job.notebooks
                   and _grade_ids_of(nb) & ids_of[name]]
        if len(matches) == 1:
            readable[name] = readable.pop(matches[0])
            result.messages.append(f"notebook {printable(matches[0])}.ipynb graded as "
                                   f"{name}.ipynb (renamed)")
    for stem in sorted(set(readable) - set(job.notebooks)):
        result.messages.append(f"extra notebook {printable(stem)}.ipynb ignored (not part "
                               "of the assignment)")
        readable.pop(stem)
    for name in job.notebooks:
        if name not in found_nbs and name not in readable:
            result.messages.append(f"missing notebook {name}.ipynb: scored 0")
    shutil.rmtree(staging, ignore_errors=True)
    for name, nb in readable.items():
        nbformat.write(nb, sub_dir / f"{name}.ipynb")
    for rel, data in allowed.items():
        _copy_bytes(data, sub_dir / rel)
    if job.timestamp:
        (sub_dir / "timestamp.txt").write_text(job.timestamp)

    # the kernel's working folder: notebooks, the assignment's files, the allowed files
    work.mkdir(parents=True, exist_ok=True)
    for rel in sorted(assignment_files):
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_source / rel, dest)
    for rel, data in allowed.items():
        if rel not in assignment_files:
            _copy_bytes(data, work / rel)
    for name in readable:
        shutil.copyfile(sub_dir / f"{name}.ipynb", work / f"{name}.ipynb")
    return readable
