"""A throw-away PostgreSQL server on loopback, for the gradebook tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    message = "PostgreSQL server not found: install the postgresql package (make system-postgresql)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server(folder: Path):
    """Start PostgreSQL in ``folder`` on a free loopback port; yield a SQLAlchemy URL.

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
    system user (or ``nobody``) and owns only ``folder``.
    """
    bindir = postgres_bin()
    folder.mkdir(parents=True, exist_ok=True)
    data, sockets, log = folder / "data", folder / "sock", folder / "server.log"
    sockets.mkdir(exist_ok=True)
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
        entry = pwd.getpwnam(user)
        for path in (folder, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        # the server user must reach the folder
        parent = folder.parent
        while parent != parent.parent:
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
            parent = parent.parent
        prefix = ["runuser", "-u", user, "--"]
    port = free_port()
    run = lambda *args: subprocess.run(prefix + list(args), check=True,  # noqa: E731
                                       capture_output=True, text=True)
    run(str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader",
            "gradebook")
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                 "stop"], capture_output=True)
