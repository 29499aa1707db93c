"""The checkpoint data helpers, config parsing, the public names, and the doc examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

import nbpregel.checkpoint
from nbpregel.checkpoint import copy_checkpoint, empty_checkpoint
from nbpregel.checkpoint.base import CheckpointAddress, ListScope
from nbpregel.errors import CheckpointError


def test_empty_checkpoint_is_fresh_each_time() -> None:
    a, b = empty_checkpoint(), empty_checkpoint()
    assert a["id"] < b["id"]
    assert a["channel_values"] == {} and a["channel_values"] is not b["channel_values"]
    assert a["updated_channels"] is None
    assert a["ts"].endswith("+00:00")


def test_copy_checkpoint_shares_no_dict_or_list() -> None:
    original = empty_checkpoint()
    original["channel_values"] = {"a": 1}
    original["channel_versions"] = {"a": 1}
    original["versions_seen"] = {"node": {"a": 1}}
    original["updated_channels"] = ["a"]
    copy = copy_checkpoint(original)
    assert copy == original
    copy["channel_values"]["b"] = 2
    copy["channel_versions"]["a"] = 2
    copy["versions_seen"]["node"]["a"] = 2
    assert copy["updated_channels"] is not None
    copy["updated_channels"].append("b")
    assert original == {
        **original,
        "channel_values": {"a": 1},
        "channel_versions": {"a": 1},
        "versions_seen": {"node": {"a": 1}},
        "updated_channels": ["a"],
    }


def test_address_reads_a_config_with_defaults() -> None:
    address = CheckpointAddress.from_config({"configurable": {"thread_id": "t"}})
    assert address == CheckpointAddress("t", "", None)
    assert address.to_config() == {
        "configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": None}
    }


@pytest.mark.parametrize("config", [{}, {"configurable": {}}, {"configurable": None}])
def test_address_without_thread_id_explains_the_fix(config: dict) -> None:
    with pytest.raises(CheckpointError, match=r"\{'configurable': \{'thread_id'"):
        CheckpointAddress.from_config(config)


def test_list_scope_leaves_out_what_the_config_does_not_say() -> None:
    scope = ListScope.from_args({"configurable": {"thread_id": "t"}}, None)
    assert scope == ListScope("t", None, None, None)
    everything = ListScope.from_args(None, {"configurable": {"checkpoint_id": "b"}})
    assert everything.contains(CheckpointAddress("x", "ns", "a"))
    assert not everything.contains(CheckpointAddress("x", "ns", "b"))


def test_package_exports() -> None:
    assert sorted(nbpregel.checkpoint.__all__) == [
        "BaseCheckpointSaver",
        "Checkpoint",
        "CheckpointMetadata",
        "CheckpointSource",
        "CheckpointTuple",
        "InMemorySaver",
        "MemorySaver",
        "PendingWrite",
        "RestoredError",
        "SafeSerializer",
        "SerializerProtocol",
        "SqliteSaver",
        "checkpoint_id_time",
        "copy_checkpoint",
        "empty_checkpoint",
        "new_checkpoint_id",
        "register_type",
    ]
    assert nbpregel.checkpoint.MemorySaver is nbpregel.checkpoint.InMemorySaver


@pytest.mark.parametrize(
    "module",
    [
        "nbpregel.checkpoint",
        "nbpregel.checkpoint._addressing",
        "nbpregel.checkpoint.base",
        "nbpregel.checkpoint.ids",
        "nbpregel.checkpoint.memory",
        "nbpregel.checkpoint.serde",
        "nbpregel.checkpoint.sqlite",
    ],
)
def test_doc_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
