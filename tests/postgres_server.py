"""A throwaway PostgreSQL server for the tests, and a fresh schema for every test that asks.

The server is started once per session, on 127.0.0.1 and a free port, in a temporary folder,
with the ``initdb`` and ``pg_ctl`` of Debian's ``postgresql`` package (``/usr/lib/postgresql/*/
bin``, or ``PATH``), run as the ``postgres`` OS user when the tests run as root (PostgreSQL
refuses to run as root). It trades durability for speed (``fsync=off``): it is thrown away, with
its folder, at the end. When the binaries are missing, the tests that need the server fail,
saying which apt command installs them: CI installs them, so a missing server is a broken
image, never something to skip.

Its default collation is ICU's ``en-US``, the kind of locale a real database has, in which
``"B"`` sorts after ``"a"``: a saver that relied on the database's collation to order ids
would show it.

Each test gets a schema of its own, empty, and a connection string whose ``search_path`` is
that schema, so the tables a saver creates there are the test's alone; creating a schema takes
well under a millisecond.

The fixtures are defined here and imported by each conftest that needs them; however many
conftests do, the server starts once and stops when the last of them is done.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

__all__ = ["APT_INSTALL", "PostgresServer", "postgres_server", "postgres_url", "running"]

APT_INSTALL = "apt-get update && apt-get install -y postgresql"
_OS_USER = "postgres"
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}


def find_bin_dir() -> Path | None:
    """The folder of the newest installed ``pg_ctl`` (Debian's layout first, then ``PATH``)."""
    found = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
        if path.parent.parent.name.isdigit()
    ]
    if found:
        return max(found, key=lambda folder: int(folder.parent.name))
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: its folder, port, binaries, and one admin connection."""

    root: Path
    port: int
    bin_dir: Path
    _admin: Any = None
    _schemas: Iterator[int] = field(default_factory=itertools.count)

    def conninfo(self, schema: str | None = None) -> str:
        """A libpq connection string to the ``postgres`` database, in ``schema`` if given."""
        info = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        return info + (f" options='-c search_path={schema}'" if schema else "")

    def url(self, schema: str | None = None) -> str:
        """The same as :meth:`conninfo`, as a ``postgresql://`` URL."""
        url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return url + (f"?options=-c%20search_path%3D{schema}" if schema else "")

    def execute(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser; its rows (none for a command)."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.conninfo(), autocommit=True)
        cursor = self._admin.execute(statement, params)
        return cursor.fetchall() if cursor.description else []

    def fresh_schema(self) -> str:
        """The name of a new, empty schema."""
        name = f"test_{next(self._schemas)}"
        self.execute(f"CREATE SCHEMA {name}")
        return name

    def close_admin(self) -> None:
        if self._admin is not None:
            self._admin.close()


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", _OS_USER, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], log: Path | None = None) -> str | None:
    """Run ``command`` as the ``postgres`` user; what went wrong, or ``None``."""
    result = subprocess.run(
        _as_postgres(command), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode == 0:
        return None
    details = log.read_text() if log is not None and log.exists() else ""
    return f"{' '.join(command)}:\n{result.stdout}{result.stderr}{details}"


def _fail(what: str, error: str) -> NoReturn:
    pytest.fail(f"could not {what} the test PostgreSQL server: {error}", pytrace=False)


def _major_version(bin_dir: Path) -> int:
    version = subprocess.run(
        [str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)", version)
    return int(match.group(1)) if match else 0


def _init(bin_dir: Path, data: Path) -> None:
    command = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    command += ["--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
    if _major_version(bin_dir) >= 15:  # the first version with ICU as the default provider
        command += ["--locale-provider=icu", "--icu-locale=en-US"]
    error = _run(command)
    if error:
        _fail("create", error)


def start() -> PostgresServer:
    """Create and start a server in a new temporary folder.

    Raises:
        pytest.fail.Exception: PostgreSQL is not installed, or does not start.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail(
            "the PostgreSQL saver tests need a PostgreSQL server (initdb and pg_ctl, looked "
            f"for in /usr/lib/postgresql/*/bin and on PATH); install it with: {APT_INSTALL}",
            pytrace=False,
        )
    root = Path(tempfile.mkdtemp(prefix="nbpregel-postgres-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(_OS_USER)
        except KeyError:
            _fail("run", f"there is no {_OS_USER!r} OS user to run it as; {APT_INSTALL}")
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log = root / "data", root / "server.log"
    _init(bin_dir, data)
    settings = " ".join(f"-c {key}={value}" for key, value in _SETTINGS.items())
    start_command = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
    error = None
    for _attempt in range(3):  # another program may take the free port before the server does
        port = _free_port()
        error = _run([*start_command, "-o", f"-p {port} -k {root} {settings}", "start"], log)
        if error is None:
            return PostgresServer(root, port, bin_dir)
    _fail("start", error or "")


def stop(server: PostgresServer) -> None:
    """Stop the server at once (nothing in it is worth a clean shutdown) and delete it."""
    server.close_admin()
    stop_command = [str(server.bin_dir / "pg_ctl"), "-D", str(server.root / "data")]
    subprocess.run(
        _as_postgres([*stop_command, "-m", "immediate", "-w", "stop"]),
        capture_output=True,
        timeout=60,
        check=False,
    )
    shutil.rmtree(server.root, ignore_errors=True)


_shared: PostgresServer | None = None
_users = 0


@contextmanager
def running() -> Iterator[PostgresServer]:
    """The session's server: started by the first user, stopped when the last one leaves."""
    global _shared, _users
    if _shared is None:
        _shared = start()
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            stop(_shared)
            _shared = None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's throwaway PostgreSQL server."""
    with running() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A connection string to a fresh, empty schema of the session's server."""
    return postgres_server.conninfo(postgres_server.fresh_schema())
