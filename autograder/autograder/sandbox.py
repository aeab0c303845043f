"""Run a student's kernel in a bubblewrap sandbox, as a throw-away unprivileged user.

What the kernel can see: the system's read-only ``/usr`` and ``/etc``, the Python
installation and virtual environment (read-only), the ``treeprop`` package (read-only)
and size-limited tmpfs mounts as its home, working directory and ``/tmp``, holding a copy
of this student's staged files (never the masters, the gradebook, other submissions or
the notebook with the restored hidden tests: those stay outside). Its network namespace
is empty: no network at all, not even the host's loopback.

Nothing writable is shared with the host or with another student. The kernel's ZeroMQ
*ipc* sockets live on a tiny tmpfs *inside* the sandbox (``SANDBOX_IPC``); the grader
reaches them through ``/proc/<sandbox init>/root``, and (as root) makes that folder
read-only for the sandbox user once the sockets exist, so they cannot be swapped for
links. The connection file is bound read-only from a folder only the grader can read.

Limits for the whole sandbox (every process in it together), when cgroups can be used
(as root: cgroup v2 with the memory and pids controllers, or cgroup v1 memory + pids):
memory including its tmpfs files (``sandbox_memory_bytes``, no swap), processes and
threads (``processes``). Always, per process: address space, CPU seconds, file size,
open files; processes per uid (RLIMIT_NPROC of a uid used by nothing else, as root).
Disk: the three tmpfs together are at most ``disk_bytes``. Wall time per cell and per
notebook are enforced by the grader (:mod:`autograder.execute`).

Without cgroups (not root, or no delegated controllers: :func:`cgroup_support` says
why), memory is bounded per process only and the grader polls the sandbox's memory
(proportional set size, twice a second) and kills the sandbox above the limit: a burst
shorter than that can exceed it. Without root the kernel runs as the instructor's own
uid (in a user namespace), so RLIMIT_NPROC counts the instructor's processes too, and
the ipc folder stays writable by the kernel.

Layers, outermost first: ``sh`` joining the cgroup -> ``bwrap`` (run by root, or by an
unprivileged user through user namespaces) -> ``setpriv`` to a fresh uid (root only) ->
``prlimit`` -> the kernel.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Int, Unicode

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
SANDBOX_HOME = "/home/student"
SANDBOX_WORK = SANDBOX_HOME + "/work"
SANDBOX_IPC = "/run/treeprop-ipc"  # tmpfs inside the sandbox: the kernel's sockets
SANDBOX_CONNECTION = "/run/treeprop-connection/kernel.json"  # read-only bind
IPC_BYTES = 1024**2
CGROUP_ROOT = "/sys/fs/cgroup"


@dataclass
class Limits:
    """Resource limits for one submission's kernels (plain data: travels with a job)."""

    cell_seconds: float = 60.0  # wall time per cell
    notebook_seconds: float = 600.0  # wall time per notebook
    cpu_seconds: int = 600  # CPU time per kernel
    memory_bytes: int = 3 * 1024**3  # address space per process
    sandbox_memory_bytes: int = 3 * 1024**3  # RAM of all processes + tmpfs (cgroup)
    processes: int = 96  # processes + threads of the whole sandbox
    file_bytes: int = 64 * 1024**2  # largest file the kernel may write
    disk_bytes: int = 256 * 1024**2  # home + work dir + /tmp + ipc tmpfs together
    open_files: int = 256
    output_bytes: int = 1024**2  # output kept per cell; more interrupts the cell
    notebook_output_bytes: int = 8 * 1024**2
    # what staging reads from a submission folder (see autograder.staging)
    submission_files: int = 200
    submission_file_bytes: int = 32 * 1024**2
    submission_bytes: int = 128 * 1024**2
    # patterns (fnmatch, on the relative path or the file name) of files a student may
    # hand in besides the notebooks that reach the kernel (e.g. "*.csv", "data/*")
    allowed_files: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Limits:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


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


def _tmpfs_sizes(limits: Limits) -> tuple[int, int]:
    """(/tmp, home) tmpfs sizes: with the ipc tmpfs they add up to ``disk_bytes``."""
    tmp = max(4 * 1024**2, min(64 * 1024**2, limits.disk_bytes // 4))
    home = max(4 * 1024**2, limits.disk_bytes - tmp - IPC_BYTES)
    return tmp, home


def bwrap_command(command: list[str], *, work: Path, ipc: Path | None, limits: Limits,
                  uid: int | None = None, connection_file: Path | None = None,
                  cgroup: SandboxCgroup | None = None) -> list[str]:
    """The full command line that runs ``command`` inside the sandbox.

    With ``connection_file`` the kernel's sockets go to the private ``SANDBOX_IPC``
    tmpfs and the file is bound read-only at ``SANDBOX_CONNECTION``; otherwise (the
    probe) the host folder ``ipc`` is bound. ``cgroup``: joined before bwrap starts, so
    every process of the sandbox is counted from its first instruction.
    """
    args = [BWRAP, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grader",
            "--clearenv"]
    args += _system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev"]
    tmp_size, home_size = _tmpfs_sizes(limits)
    # The sandbox's own /tmp first: the Python binds below may live under /tmp (a
    # checkout in /tmp/...), and a tmpfs mounted after them would hide them.
    args += ["--size", str(tmp_size), "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]
    args += _mounts_for_python()
    # One size-limited tmpfs for the home and working folder; the staged submission is
    # bound read-only under the working directory.
    args += ["--size", str(home_size), "--tmpfs", SANDBOX_HOME,
             "--dir", SANDBOX_WORK, "--chmod", "0777", SANDBOX_HOME,
             "--chmod", "0777", SANDBOX_WORK]
    for entry in sorted(work.iterdir()) if work.is_dir() else []:
        args += ["--ro-bind", str(entry), f"{SANDBOX_WORK}/{entry.name}"]
    if connection_file is not None:
        args += ["--perms", "0755", "--dir", "/run",
                 "--perms", "0755", "--dir", os.path.dirname(SANDBOX_CONNECTION),
                 "--size", str(IPC_BYTES), "--tmpfs", SANDBOX_IPC,
                 "--chmod", "0777", SANDBOX_IPC,
                 "--ro-bind", str(connection_file), SANDBOX_CONNECTION]
    elif ipc is not None:
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
        "PYTHONNOUSERSITE": "1",
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
    # With a cgroup its pids.max (processes + 8: it also counts sh, bwrap and bwrap's init)
    # refuses first, and counts the refusal, so the grader can name the limit.
    nproc = limits.processes + (8 if cgroup is not None else 0)
    if os.geteuid() != 0:
        # RLIMIT_NPROC counts every task of the uid: without root we cannot switch to a
        # fresh uid, so allow what the instructor already runs plus the sandbox's share.
        nproc += tasks_of_uid(os.getuid())
    inner += ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
              f"--nproc={nproc}", f"--fsize={limits.file_bytes}",
              f"--nofile={limits.open_files}", "--core=0", "--"]
    prefix = cgroup.join_command() if cgroup is not None else []
    return prefix + args + inner + command


# -- cgroups: limits for the whole sandbox ---------------------------------------------------

def _own_cgroups() -> dict[str, str]:
    """controller ("" for v2) -> this process's cgroup path."""
    found = {}
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                if number == "0" and controllers == "":
                    found[""] = path
                for name in controllers.split(","):
                    if name:
                        found[name] = path
    except OSError:
        pass
    return found


def _cgroup_mounts() -> dict[str, str]:
    """controller ("" for the v2 hierarchy) -> mount point."""
    found = {}
    try:
        with open("/proc/self/mountinfo") as handle:
            for line in handle:
                left, _, right = line.partition(" - ")
                fields_ = left.split()
                kind, _source, options = (right.split() + ["", "", ""])[:3]
                if kind == "cgroup2":
                    found.setdefault("", fields_[4])
                elif kind == "cgroup":
                    for option in options.split(","):
                        if option in ("memory", "pids"):
                            found.setdefault(option, fields_[4])
    except OSError:
        pass
    return found


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SandboxCgroup:
    """The cgroup(s) of one sandbox: memory (with tmpfs pages, no swap) and processes.

    ``create`` returns None (and :func:`cgroup_support` the reason) when cgroups cannot
    be used here; the sandbox then falls back to per-process limits plus polling.
    """

    PREFIX = "treeprop-sbx-"

    def __init__(self, folders: dict[str, str], version: int):
        self.folders = folders  # controller ("" for v2) -> cgroup folder
        self.version = version

    # -- where cgroups can be made ----------------------------------------------------------
    @classmethod
    def _bases(cls) -> tuple[int, dict[str, str]] | str:
        """(version, controller -> parent folder of our sandboxes), or the reason why not."""
        if os.environ.get("TREEPROP_SANDBOX_CGROUPS", "1") == "0":
            return "switched off by TREEPROP_SANDBOX_CGROUPS=0"
        if os.geteuid() != 0:
            return "not root: cgroups are not delegated to this user"
        mounts, own = _cgroup_mounts(), _own_cgroups()
        v2 = mounts.get("")
        if v2 and {"memory", "pids"} <= set(_read(f"{v2}/cgroup.controllers").split()):
            # The root of the hierarchy may hold processes and enable controllers for
            # its children; a non-root cgroup that holds processes may not (cgroup v2's
            # no-internal-process rule), so our sandboxes live in one folder at the root.
            base = f"{v2}/treeprop-sandboxes"
            try:
                enabled = set(_read(f"{v2}/cgroup.subtree_control").split())
                if not {"memory", "pids"} <= enabled:
                    _write(f"{v2}/cgroup.subtree_control", "+memory +pids")
                os.makedirs(base, exist_ok=True)
                if not {"memory", "pids"} <= set(_read(f"{base}/cgroup.subtree_control")
                                                 .split()):
                    _write(f"{base}/cgroup.subtree_control", "+memory +pids")
            except OSError as error:
                return f"cgroup v2 at {v2}: cannot enable memory and pids ({error.strerror})"
            return 2, {"": base}
        if "memory" in mounts and "pids" in mounts:
            bases = {}
            for name in ("memory", "pids"):
                # nested under our own cgroup: whatever bounds the grader bounds us too
                base = mounts[name] + own.get(name, "/").rstrip("/")
                if not os.access(base, os.W_OK):
                    return f"cgroup v1 {name}: {base} is not writable"
                bases[name] = base
            return 1, bases
        return "no cgroup v2 with memory+pids and no cgroup v1 memory and pids mounts"

    @classmethod
    def create(cls, limits: Limits) -> SandboxCgroup | None:
        found = cls._bases()
        if isinstance(found, str):
            return None
        version, bases = found
        cls.sweep(bases)
        name = f"{cls.PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        folders: dict[str, str] = {}
        try:
            for controller, base in bases.items():
                folder = f"{base}/{name}"
                os.mkdir(folder)
                folders[controller] = folder
            group = cls(folders, version)
            group._limit(limits)
            return group
        except OSError:
            cls(folders, version).remove()
            return None

    def _limit(self, limits: Limits) -> None:
        memory = str(int(limits.sandbox_memory_bytes))
        pids = str(int(limits.processes) + 8)  # + sh/bwrap/init/setpriv/prlimit
        if self.version == 2:
            folder = self.folders[""]
            _write(f"{folder}/memory.max", memory)
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                if os.path.exists(f"{folder}/{name}"):
                    _write(f"{folder}/{name}", value)
            _write(f"{folder}/pids.max", pids)
        else:
            folder = self.folders["memory"]
            _write(f"{folder}/memory.limit_in_bytes", memory)
            if os.path.exists(f"{folder}/memory.memsw.limit_in_bytes"):
                _write(f"{folder}/memory.memsw.limit_in_bytes", memory)
            _write(f"{self.folders['pids']}/pids.max", pids)

    # -- use ------------------------------------------------------------------------------
    def join_command(self) -> list[str]:
        """``sh`` that moves itself into the cgroup(s), then execs the rest."""
        files = [f"{folder}/cgroup.procs" for folder in self.folders.values()]
        script = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; '
                  'shift; n=$((n-1)); done; exec "$@"')
        return ["/bin/sh", "-c", script, "sh", str(len(files)), *files]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders.values():
            found |= {int(x) for x in _read(f"{folder}/cgroup.procs").split()}
        return sorted(found)

    def events(self) -> dict[str, int]:
        """How often the limits were hit (OOM kills, refused forks) and peak memory."""
        out = {"oom_kills": 0, "fork_refused": 0, "memory_peak": 0}
        if self.version == 2:
            folder = self.folders[""]
            for line in _read(f"{folder}/memory.events").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    out["oom_kills"] = int(value)
            for line in _read(f"{folder}/pids.events").splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    out["fork_refused"] = int(value)
            peak = _read(f"{folder}/memory.peak").strip()
        else:
            memory = self.folders["memory"]
            for line in _read(f"{memory}/memory.oom_control").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    out["oom_kills"] = int(value)
            for line in _read(f"{self.folders['pids']}/pids.events").splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    out["fork_refused"] = int(value)
            peak = _read(f"{memory}/memory.max_usage_in_bytes").strip()
        out["memory_peak"] = int(peak) if peak.isdigit() else 0
        return out

    def kill(self) -> None:
        """SIGKILL every process still in the sandbox's cgroup."""
        if self.version == 2 and os.path.exists(f"{self.folders['']}/cgroup.kill"):
            try:
                _write(f"{self.folders['']}/cgroup.kill", "1")
                return
            except OSError:
                pass
        for _ in range(3):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)

    def remove(self) -> None:
        self.kill()
        for folder in self.folders.values():
            for _ in range(40):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    time.sleep(0.05)

    @classmethod
    def sweep(cls, bases: dict[str, str]) -> None:
        """Remove empty sandbox cgroups left by a grader that was killed (kill -9)."""
        for base in bases.values():
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for name in names:
                if not name.startswith(cls.PREFIX):
                    continue
                owner = name[len(cls.PREFIX):].split("-", 1)[0]
                if owner.isdigit() and not _pid_alive(int(owner)):
                    try:
                        os.rmdir(f"{base}/{name}")
                    except OSError:
                        pass


def cgroup_support() -> str:
    """One line for the instructor: how the whole sandbox is bounded here."""
    found = SandboxCgroup._bases()
    if isinstance(found, str):
        return ("whole-sandbox limits: NOT available (" + found + "); memory is bounded "
                "per process and by polling, processes per uid")
    version, bases = found
    return (f"whole-sandbox limits: cgroup v{version} (memory, pids) under "
            + ", ".join(sorted(set(bases.values()))))


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
    """A kernel manager whose kernel runs under :func:`bwrap_command`.

    ``sandbox_ipc`` is a host folder private to the grader (0700) that holds only the
    connection file; the sockets themselves are inside the sandbox (module docstring).
    """

    sandbox_work = Unicode("", help="host folder whose entries become the kernel's work dir"
                           ).tag(config=True)
    sandbox_ipc = Unicode("", help="private host folder for the connection file"
                          ).tag(config=True)
    sandbox_limits = Dict({}, help="Limits as a dict").tag(config=True)
    sandbox_uid = Int(-1, help="uid for the kernel (root only); -1 picks one").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        private = Path(self.sandbox_ipc)
        private.mkdir(parents=True, exist_ok=True)
        os.chmod(private, 0o700)
        self.transport = "ipc"
        self.ip = SANDBOX_IPC + "/kernel"
        self.connection_file = str(private / "kernel.json")
        self._cgroup: SandboxCgroup | None = None
        self._watch_stop = threading.Event()
        self.ipc_locked = threading.Event()
        self._watcher: threading.Thread | None = None
        self.sandbox_root: str | None = None
        self.sandbox_killed: str | None = None  # why the grader killed the sandbox

    @property
    def kernel_spec(self):  # noqa: D401 - property of the parent class
        spec = super().kernel_spec
        if spec is not None:
            # SIGINT cannot cross into the sandbox's session: interrupt by message instead.
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs) -> None:
        self.ip = SANDBOX_IPC + "/kernel"  # the path the kernel binds, inside the sandbox
        super().write_connection_file(**kwargs)
        os.chmod(self.connection_file, 0o644)  # read through a read-only bind only

    def cleanup_ipc_files(self) -> None:
        """Nothing to do: the sockets vanish with the sandbox's tmpfs."""

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        host = os.path.realpath(self.connection_file)
        command = [arg.replace(host, SANDBOX_CONNECTION) for arg in command]
        limits = Limits.from_dict(self.sandbox_limits)
        uid = None if self.sandbox_uid < 0 else self.sandbox_uid
        if self._cgroup is None:
            self._cgroup = SandboxCgroup.create(limits)
        return bwrap_command(command, work=Path(self.sandbox_work), ipc=None, limits=limits,
                             uid=uid, connection_file=Path(self.connection_file),
                             cgroup=self._cgroup)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        import asyncio

        kw["cwd"] = self.sandbox_ipc
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = subprocess.DEVNULL
        await super()._async_launch_kernel(kernel_cmd, **kw)
        pid = self.kernel_host_pid()
        deadline = time.monotonic() + 30
        while pid is not None and time.monotonic() < deadline:
            root = _sandbox_root_of(pid)
            if root is not None:
                self.sandbox_root = root
                self.ip = f"{root}{SANDBOX_IPC}/kernel"  # the grader's way in
                break
            if getattr(self.provisioner, "process", None) is not None and \
                    self.provisioner.process.poll() is not None:
                break
            await asyncio.sleep(0.01)
        self._watch_stop.clear()
        self.ipc_locked.clear()
        self._watcher = threading.Thread(target=self._watch, name="sandbox-watch",
                                         daemon=True)
        self._watcher.start()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._watch_stop.set()
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    cleanup_resources = _async_cleanup_resources

    def kernel_host_pid(self) -> int | None:
        process = getattr(self.provisioner, "process", None)
        return getattr(process, "pid", None)

    def sandbox_events(self) -> dict[str, int]:
        """Limits hit so far (cgroup counters), for messages; empty without cgroups."""
        return self._cgroup.events() if self._cgroup is not None else {}

    # -- the watcher: ipc folder locked, memory polled where no cgroup bounds it ----------
    def _watch(self) -> None:
        limits = Limits.from_dict(self.sandbox_limits)
        pid = self.kernel_host_pid()
        locked = os.geteuid() != 0  # without root the kernel owns the folder anyway
        if locked:
            self.ipc_locked.set()
        next_poll = 0.0
        while not self._watch_stop.wait(0.01 if not locked else 0.1):
            if pid is None or not _pid_alive(pid):
                return
            root = self.sandbox_root
            if not locked and root is not None:
                locked = self._lock_ipc(f"{root}{SANDBOX_IPC}")
            if self._cgroup is None and time.monotonic() >= next_poll:
                next_poll = time.monotonic() + 0.5
                used = _sandbox_memory(pid, root)
                if used > limits.sandbox_memory_bytes:
                    self.sandbox_killed = (f"the sandbox used {used // 1024**2} MiB, more "
                                           f"than its {limits.sandbox_memory_bytes // 1024**2}"
                                           " MiB memory limit")
                    _kill_tree(pid)
                    return

    def _lock_ipc(self, folder: str) -> bool:
        """Once the kernel's five sockets and the grading socket exist (bound by the boot
        code, before any student code runs), make their folder read-only for it.

        Anything but sockets there (a link the student put in their place) kills the
        sandbox: the grader must never connect anywhere else.
        """
        try:
            names = os.listdir(folder)
            modes = [os.lstat(f"{folder}/{n}").st_mode for n in names]
        except OSError:
            return False
        if any(not stat.S_ISSOCK(m) for m in modes):
            self.sandbox_killed = "something other than the kernel's sockets in its ipc folder"
            _kill_tree(self.kernel_host_pid())
            return True
        if len(names) < len(self.ports) + 1:
            return False
        try:
            os.chown(folder, 0, 0)
            os.chmod(folder, 0o755)
        except OSError:
            return False
        self.ipc_locked.set()
        return True

    def wait_ipc_locked(self, timeout: float = 10.0) -> bool:
        """True once the ipc folder is read-only for the kernel (at once without root, where
        the kernel owns it anyway). The grader waits for it before any student code runs."""
        return self.ipc_locked.wait(timeout)


def _sandbox_root_of(pid: int) -> str | None:
    """``/proc/<pid>/root`` of the sandbox's init once its mounts are in place."""
    for child in child_pids(pid):
        root = f"/proc/{child}/root"
        if os.path.isdir(root + SANDBOX_IPC) and os.path.exists(root + SANDBOX_CONNECTION):
            return root
        for grandchild in child_pids(child):  # unprivileged bwrap adds one level
            root = f"/proc/{grandchild}/root"
            if os.path.isdir(root + SANDBOX_IPC) and os.path.exists(
                    root + SANDBOX_CONNECTION):
                return root
    return None


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (none when it is gone)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process under it, read from /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += child_pids(current)
    return out


def _kill_tree(pid: int | None) -> None:
    if pid is None:
        return
    for member in reversed(process_tree(pid)):
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass


def _sandbox_memory(pid: int, root: str | None) -> int:
    """Proportional set size of every process under ``pid`` plus the tmpfs files."""
    total = 0
    for member in process_tree(pid):
        for line in _read(f"/proc/{member}/smaps_rollup").splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    if root is not None:
        for mount in ("/tmp", SANDBOX_HOME, SANDBOX_IPC):
            try:
                info = os.statvfs(root + mount)
                total += (info.f_blocks - info.f_bfree) * info.f_frsize
            except OSError:
                pass
    return total


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
