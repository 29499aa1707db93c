"""Hostile checkpoints: data crafted to run code or import modules when loaded must do neither.

Each payload here is what an attacker who can write to the checkpoint file could store: a
pickle whose loading runs a shell command, or the module path of a callable or a class that is
not allowed. Loading must raise SerializationError, run nothing and import nothing.
"""

from __future__ import annotations

import os
import pickle
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest

from nbpregel.checkpoint import RestoredError, SafeSerializer, SqliteSaver, empty_checkpoint
from nbpregel.checkpoint._ext import Ext
from nbpregel.errors import SerializationError

from .test_serde import Point

UNIMPORTED_MODULES = ("antigravity", "nbpregel_no_such_module")


class _RunsShell:
    """Pickles to 'call os.system(command)' on load."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def shell_pickle(marker: Path) -> bytes:
    return pickle.dumps(_RunsShell(f"touch {marker}"))


def ext(code: Ext, payload: Any) -> msgpack.ExtType:
    return msgpack.ExtType(code, msgpack.packb(payload, use_bin_type=True))


def msgpack_data(obj: Any) -> tuple[str, bytes]:
    return "msgpack", msgpack.packb(obj, use_bin_type=True)


def hostile_payloads(marker: Path) -> dict[str, tuple[tuple[str, bytes], str]]:
    """Name -> (stored data, what the refusal must say)."""
    evil = shell_pickle(marker)
    refused_pickle, not_a_class, unimported = (
        "refusing to unpickle",
        "not an allowed",
        "not imported",
    )
    return {
        "pickle type tag": (("pickle", evil), refused_pickle),
        "pickle extension": (msgpack_data(msgpack.ExtType(Ext.PICKLE, evil)), refused_pickle),
        "pickle deep in state": (
            msgpack_data({"channel_values": {"x": [1, {"y": msgpack.ExtType(Ext.PICKLE, evil)}]}}),
            refused_pickle,
        ),
        "os:system as dataclass": (
            msgpack_data(ext(Ext.DATACLASS, ["os", "system", {}])),
            "os.system: it is a builtin_function_or_method, not an allowed class",
        ),
        "os:system as enum": (
            msgpack_data(ext(Ext.ENUM, ["os", "system", f"touch {marker}"])),
            not_a_class,
        ),
        "builtins eval as enum": (
            msgpack_data(ext(Ext.ENUM, ["builtins", "eval", "1"])),
            not_a_class,
        ),
        "os.path.join via a module attribute": (
            msgpack_data(ext(Ext.NAMEDTUPLE, ["os", "path.join", ["a"]])),
            not_a_class,
        ),
        "subprocess.Popen as dataclass": (
            msgpack_data(
                ext(Ext.DATACLASS, ["subprocess", "Popen", {"args": ["touch", str(marker)]}])
            ),
            "subprocess.Popen as a dataclass: it is not an allowed class",
        ),
        "subprocess.Popen as namedtuple": (
            msgpack_data(ext(Ext.NAMEDTUPLE, ["subprocess", "Popen", [["touch", str(marker)]]])),
            not_a_class,
        ),
        "subprocess.Popen as pydantic model": (
            msgpack_data(ext(Ext.PYDANTIC, ["subprocess", "Popen", [{}, [], None, None]])),
            not_a_class,
        ),
        "unimported stdlib module": (
            msgpack_data(ext(Ext.DATACLASS, ["antigravity", "Anything", {}])),
            unimported,
        ),
        "unknown module": (
            msgpack_data(ext(Ext.ENUM, ["nbpregel_no_such_module", "E", 1])),
            unimported,
        ),
        "dataclass loaded as enum": (
            msgpack_data(ext(Ext.ENUM, [Point.__module__, "Point", 1])),
            "as an enum: it is a dataclass",
        ),
    }


PAYLOAD_NAMES = list(hostile_payloads(Path("unused")))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


@pytest.fixture(autouse=True)
def modules_stay_unimported() -> Any:
    before = [name for name in UNIMPORTED_MODULES if name in sys.modules]
    assert before == [], f"precondition: {before} must not be imported yet"
    yield
    assert [name for name in UNIMPORTED_MODULES if name in sys.modules] == []


def test_the_pickle_payload_really_runs_code_when_unpickled(marker: Path) -> None:
    # The control experiment: with pickle explicitly allowed, this payload does run.
    SafeSerializer(pickle_fallback=True).loads_typed(("pickle", shell_pickle(marker)))
    assert marker.exists()


def test_the_crafting_format_loads_an_allowed_class() -> None:
    # Another control: the same crafting, naming an allowed class, loads it.
    data = msgpack_data(ext(Ext.DATACLASS, [Point.__module__, "Point", {"x": 1}]))
    assert SafeSerializer().loads_typed(data) == Point(1)


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_serializer_refuses_hostile_data(name: str, marker: Path) -> None:
    data, reason = hostile_payloads(marker)[name]
    with pytest.raises(SerializationError, match=re.escape(reason)):
        SafeSerializer().loads_typed(data)
    assert not marker.exists()


def test_unimported_module_error_says_how_to_allow_it(marker: Path) -> None:
    data, _ = hostile_payloads(marker)["unimported stdlib module"]
    with pytest.raises(SerializationError, match=r"antigravity.*not imported.*register_type"):
        SafeSerializer().loads_typed(data)


@pytest.mark.parametrize(
    ("module", "qualname", "args"),
    [("os", "system", ["touch {marker}"]), ("builtins", "__import__", ["antigravity"])],
    ids=["os.system", "builtins.__import__"],
)
def test_hostile_error_names_load_as_inert_data(
    module: str, qualname: str, args: list[str], marker: Path
) -> None:
    args = [arg.format(marker=marker) for arg in args]
    data = msgpack_data(ext(Ext.ERROR, [module, qualname, "message", args, []]))
    loaded = SafeSerializer().loads_typed(data)
    assert type(loaded) is RestoredError
    assert loaded.type_name == f"{module}.{qualname}" and loaded.args == tuple(args)
    assert not marker.exists()


def insert_checkpoint_row(path: Path, checkpoint: tuple[str, bytes], metadata: Any) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO nbpregel_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("victim", "", "1f000000-0000-7000-8000-000000000000", None, *checkpoint, *metadata),
        )
    conn.close()


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_sqlite_rows_with_hostile_checkpoints_are_refused(
    name: str, marker: Path, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.db"
    SqliteSaver(path).close()  # creates the tables
    data, reason = hostile_payloads(marker)[name]
    insert_checkpoint_row(path, data, msgpack_data({}))
    with SqliteSaver(path) as saver:
        with pytest.raises(SerializationError, match=re.escape(reason)):
            saver.get_tuple({"configurable": {"thread_id": "victim"}})
        with pytest.raises(SerializationError, match=re.escape(reason)):
            list(saver.list(None))
    assert not marker.exists()


def test_sqlite_hostile_metadata_and_pending_write_are_refused(
    marker: Path, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.db"
    evil = msgpack_data(msgpack.ExtType(Ext.PICKLE, shell_pickle(marker)))
    SqliteSaver(path).close()
    insert_checkpoint_row(path, SafeSerializer().dumps_typed(empty_checkpoint()), evil)
    with SqliteSaver(path) as saver:
        with pytest.raises(SerializationError):
            saver.get_tuple({"configurable": {"thread_id": "victim"}})
        config = saver.put({"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}, {})
    checkpoint_id = config["configurable"]["checkpoint_id"]
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO nbpregel_writes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("t", "", checkpoint_id, "task", 0, "", "channel", *evil),
        )
    conn.close()
    with SqliteSaver(path) as saver, pytest.raises(SerializationError, match="unpickle"):
        saver.get_tuple(config)
    assert not marker.exists()


def test_nothing_is_imported_in_a_fresh_interpreter(marker: Path, tmp_path: Path) -> None:
    # The same refusal, in an interpreter where only nbpregel is loaded.
    path = tmp_path / "hostile.db"
    SqliteSaver(path).close()
    insert_checkpoint_row(
        path, hostile_payloads(marker)["unimported stdlib module"][0], msgpack_data({})
    )
    script = (
        "import sys\n"
        "from nbpregel.checkpoint import SqliteSaver\n"
        "from nbpregel.errors import SerializationError\n"
        f"saver = SqliteSaver({str(path)!r})\n"
        "try:\n"
        "    saver.get_tuple({'configurable': {'thread_id': 'victim'}})\n"
        "except SerializationError:\n"
        "    print('refused', 'antigravity' in sys.modules, 'webbrowser' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["refused", "False", "False"]
