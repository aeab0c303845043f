"""Run a student's kernel in a bubblewrap sandbox, as a throw-away unprivileged user.

What the kernel can see: the system's read-only ``/usr`` and ``/etc``, the Python
installation and virtual environment (read-only), the ``treeprop`` package (read-only)
and a size-limited tmpfs as its home and working directory, holding a copy of this
student's submitted files (never the masters, the gradebook, other submissions or the
notebook with the restored hidden tests: those stay outside). It talks to the grader
over ZeroMQ *ipc* sockets in a private folder, because its network namespace is empty:
no network at all, not even the host's loopback.

Limits (per kernel): address space, CPU seconds, processes/threads (RLIMIT_NPROC of a
uid used by nothing else), file size, open files, tmpfs size; wall time per cell and per
notebook are enforced by the grader (:mod:`autograder.execute`).

Layers, outermost first: ``bwrap`` (run by root, or by an unprivileged user through user
namespaces) -> ``setpriv`` to a fresh uid (root only) -> ``prlimit`` -> the kernel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Int, Unicode

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
SANDBOX_HOME = "/home/student"
SANDBOX_WORK = SANDBOX_HOME + "/work"


@dataclass
class Limits:
    """Resource limits for one submission's kernels (plain data: travels with a job)."""

    cell_seconds: float = 60.0  # wall time per cell
    notebook_seconds: float = 600.0  # wall time per notebook
    cpu_seconds: int = 600  # CPU time per kernel
    memory_bytes: int = 3 * 1024**3  # address space per process
    processes: int = 96  # processes + threads of the sandbox user
    file_bytes: int = 64 * 1024**2  # largest file the kernel may write
    disk_bytes: int = 256 * 1024**2  # tmpfs holding home, work dir and /tmp
    open_files: int = 256
    output_bytes: int = 1024**2  # output kept per cell; more interrupts the cell
    notebook_output_bytes: int = 8 * 1024**2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Limits:
        return cls(**(data or {}))


def _mounts_for_python() -> list[str]:
    """Read-only binds that make the grader's Python, venv and treeprop visible."""
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.add(sysconfig.get_paths()["purelib"])
    try:
        import treeprop

        paths.add(str(Path(treeprop.__file__).resolve().parent.parent))
    except ImportError:  # pragma: no cover - the course needs treeprop
        pass
    # Collapse nested paths to their outermost directory.
    ordered = sorted(p for p in paths if os.path.isdir(p))
    keep: list[str] = []
    for path in ordered:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(path)
    args: list[str] = []
    made: set[str] = set()
    for path in keep:
        # Parent folders (such as /root) must be searchable by the sandbox user.
        parent = os.path.dirname(path)
        chain = []
        while parent not in ("/", "", "/tmp") and parent not in made:
            chain.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(chain):
            args += ["--perms", "0755", "--dir", folder]
            made.add(folder)
        args += ["--ro-bind", path, path]
    return args


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def sandbox_uid() -> int:
    """A uid nothing else uses, so RLIMIT_NPROC counts only this sandbox's processes."""
    return 200_000 + os.getpid() % 60_000


def bwrap_command(command: list[str], *, work: Path, ipc: Path, limits: Limits,
                  uid: int | None = None) -> list[str]:
    """The full command line that runs ``command`` inside the sandbox."""
    args = [BWRAP, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grader",
            "--clearenv"]
    args += _system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev"]
    # The sandbox's own /tmp first: the Python binds below may live under /tmp (a
    # checkout in /tmp/...), and a tmpfs mounted after them would hide them.
    args += ["--size", str(min(limits.disk_bytes, 64 * 1024**2)), "--tmpfs", "/tmp",
             "--chmod", "1777", "/tmp"]
    args += _mounts_for_python()
    # One size-limited tmpfs for everything writable; the submission is copied in as
    # read-only binds under the working directory.
    args += ["--size", str(limits.disk_bytes), "--tmpfs", SANDBOX_HOME,
             "--dir", SANDBOX_WORK, "--chmod", "0777", SANDBOX_HOME,
             "--chmod", "0777", SANDBOX_WORK]
    for entry in sorted(work.iterdir()) if work.is_dir() else []:
        args += ["--ro-bind", str(entry), f"{SANDBOX_WORK}/{entry.name}"]
    parent, chain = os.path.dirname(str(ipc)), []
    while parent not in ("/", "", "/tmp"):
        chain.append(parent)
        parent = os.path.dirname(parent)
    for folder in reversed(chain):
        args += ["--perms", "0755", "--dir", folder]
    args += ["--bind", str(ipc), str(ipc)]
    env = {
        "HOME": SANDBOX_HOME,
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", SANDBOX_WORK, "--"]
    inner: list[str] = []
    if os.geteuid() == 0:
        uid = sandbox_uid() if uid is None else uid
        inner += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all", "--"]
    nproc = limits.processes
    if os.geteuid() != 0:
        # RLIMIT_NPROC counts every task of the uid: without root we cannot switch to a
        # fresh uid, so allow what the instructor already runs plus the sandbox's share.
        nproc += tasks_of_uid(os.getuid())
    inner += ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
              f"--nproc={nproc}", f"--fsize={limits.file_bytes}",
              f"--nofile={limits.open_files}", "--core=0", "--"]
    return args + inner + command


def check_sandbox() -> str | None:
    """None when the sandbox works here, else the reason (shown to the instructor)."""
    if not os.path.exists(BWRAP):
        return "bwrap not found: install the bubblewrap package (make system-bubblewrap)"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="treeprop-probe-") as tmp:
        ipc = Path(tmp)
        os.chmod(ipc, 0o777)
        probe = "import socket, os; print(os.getuid()); print(len(socket.if_nameindex()))"
        cmd = bwrap_command([sys.executable, "-c", probe], work=ipc / "none", ipc=ipc,
                            limits=Limits())
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start: {error}"
        if out.returncode != 0:
            return f"bwrap failed ({out.returncode}): {out.stderr.strip()[-400:]}"
    return None


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs under :func:`bwrap_command`."""

    sandbox_work = Unicode("", help="host folder whose entries become the kernel's work dir"
                           ).tag(config=True)
    sandbox_ipc = Unicode("", help="host folder for the ipc sockets and connection file"
                          ).tag(config=True)
    sandbox_limits = Dict({}, help="Limits as a dict").tag(config=True)
    sandbox_uid = Int(-1, help="uid for the kernel (root only); -1 picks one").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        ipc = Path(self.sandbox_ipc)
        ipc.mkdir(parents=True, exist_ok=True)
        os.chmod(ipc, 0o777)
        self.transport = "ipc"
        self.ip = str(ipc / "kernel")
        self.connection_file = str(ipc / "kernel.json")

    @property
    def kernel_spec(self):  # noqa: D401 - property of the parent class
        spec = super().kernel_spec
        if spec is not None:
            # SIGINT cannot cross into the sandbox's session: interrupt by message instead.
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        os.chmod(self.connection_file, 0o644)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        limits = Limits.from_dict(self.sandbox_limits)
        uid = None if self.sandbox_uid < 0 else self.sandbox_uid
        return bwrap_command(command, work=Path(self.sandbox_work), ipc=Path(self.sandbox_ipc),
                             limits=limits, uid=uid)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw["cwd"] = self.sandbox_ipc
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = subprocess.DEVNULL
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def kernel_host_pid(self) -> int | None:
        process = getattr(self.provisioner, "process", None)
        return getattr(process, "pid", None)


def processes_of_uid(uid: int) -> list[int]:
    """Host pids whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found


def tasks_of_uid(uid: int) -> int:
    """Threads (tasks) of every process whose real uid is ``uid``."""
    total = 0
    for pid in processes_of_uid(uid):
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("Threads:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total
