"""run() and RunView: a background run, the step slider, prompts that resume, errors, async."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from run_graphs import (
    async_graph,
    breakpoint_graph,
    error_graph,
    fanout_graph,
    gated_graph,
    one_question_graph,
    two_questions_graph,
)
from waiting import TIMEOUT, wait_until
from widget_comm import RecordingComm

import nbpregel
from nbpregel.notebook import InterruptPrompt, RunView, run
from nbpregel.notebook.run import Driver, Run, RunStatus

pytestmark = pytest.mark.exe  # every view draws its graph with `dot`


def graph_updates(view: RunView, comms: list[RecordingComm]) -> list[dict[str, Any]]:
    """What the GraphView of ``view`` sent to the browser after it opened."""
    (comm,) = [c for c in comms if c.comm_id == view.graph_view.model_id]
    return [msg["state"] for msg in comm.sent if msg.get("method") == "update"]


def test_run_returns_at_once_and_shows_the_running_step(gate: threading.Event) -> None:
    view = run(gated_graph(gate), {"count": 0})
    wait_until(lambda: view.graph_view.node_states.get("slow") == "running", "slow shows running")
    assert view.run.status is RunStatus.RUNNING
    assert view.progress.layout.display is None  # visible
    assert (view.progress.value, view.progress.max) == (0, 1)
    assert "running: step 2, 0/1 tasks finished" in view.status.value
    assert view.graph_view.active_edges == []  # the running task wrote nothing yet
    gate.set()
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.progress.layout.display == "none"
    assert view.state() == {"count": 3}
    assert view.run.listener_errors == []


def test_slider_sends_each_step_states_to_the_graph(recording_comm: list[RecordingComm]) -> None:
    view = run(fanout_graph(), {"topic": "x"})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert (view.slider.min, view.slider.max, view.slider.value) == (0, 4, 4)
    assert view.graph_view.node_states == {"ask": "interrupted"}
    before = len(graph_updates(view, recording_comm))
    expected = {
        0: ({"__start__": "done"}, ["__start__->a", "__start__->b"]),
        1: ({"a": "done", "b": "done"}, ["a->fan", "b->fan"]),
        2: ({"fan": "done"}, ["fan->worker"]),
        3: ({"worker": "done"}, ["worker->ask"]),
        4: ({"ask": "interrupted"}, []),
    }
    for step, (nodes, edges) in expected.items():
        view.slider.value = step
        assert (view.graph_view.node_states, view.graph_view.active_edges) == (nodes, edges)
        assert view.play.value == step  # else the browser's play -> slider link undoes the move
    sent = graph_updates(view, recording_comm)[before:]
    assert sent[0] == {"node_states": expected[0][0], "active_edges": expected[0][1]}
    assert all(set(state) <= {"node_states", "active_edges"} for state in sent)  # never the SVG
    view.slider.value = 3
    assert view.tasks_html.value.count("<td>worker</td>") == 2
    assert "<td>PUSH</td>" in view.tasks_html.value
    view.slider.value = 1
    assert 'class="nbp-changed"' in view.state_html.value  # items changed in step 1
    assert "join:a+b:fan" in view.writes_html.value


def test_view_follows_the_run_until_the_slider_is_moved_back(gate: threading.Event) -> None:
    view = run(gated_graph(gate), {"count": 0})
    wait_until(lambda: view.slider.max == 2, "step 2 appears")
    assert view.slider.value == 2  # following
    view.slider.value = 0  # pin step 0
    assert view.graph_view.node_states == {"__start__": "done"}
    gate.set()
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert (view.slider.max, view.slider.value) == (3, 0)
    assert view.graph_view.node_states == {"__start__": "done"}
    view.slider.value = 3  # back at the end: following again, the end reached
    assert view.graph_view.node_states == {"last": "done", "__end__": "done"}
    assert view.graph_view.active_edges == ["last->__end__"]


def test_prompt_button_resumes_the_run() -> None:
    view = run(fanout_graph(), {"topic": "x"})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert "1 question(s) waiting" in view.status.value
    (prompt,) = view.prompts.children
    assert isinstance(prompt, InterruptPrompt) and prompt.interrupt_id in view.interrupts.values
    sizes = len(view.writes), len(view.channels)
    (yes,) = [button for button in prompt.buttons if button.description == "yes"]
    yes.click()
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert len(view.writes) > sizes[0] and len(view.channels) > sizes[1]
    assert view.state()["answer"] == "yes"
    assert list(view.interrupts.answer) == ["yes"]
    assert view.prompts.children == ()
    assert "done: 5 steps" in view.status.value


def test_invalid_json_answer_shows_an_error_and_resumes_nothing() -> None:
    view = run(one_question_graph(["anything", "json"]), {})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    (prompt,) = view.prompts.children
    events = view.run.recorder.events
    prompt.fields["answer"].widget.value = "[1, 2"
    assert prompt.submit_button is not None
    prompt.submit_button.click()
    assert prompt.fields["answer"].error.value.startswith("not valid JSON")
    assert view.run.status is RunStatus.INTERRUPTED  # a resume would have set it running
    assert view.run.recorder.events == events
    assert list(view.interrupts.answer) == [None]
    prompt.fields["answer"].widget.value = "[1, 2]"
    prompt.submit_button.click()
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"first": [1, 2]}


def test_several_prompts_resume_once_all_are_answered() -> None:
    question = {"question": "Approve?", "options": ["yes", "no"]}
    view = run(two_questions_graph(question, {"question": "Sure?", "type": "bool"}), {})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    prompts = {prompt.kind: prompt for prompt in view.prompts.children}
    assert set(prompts) == {"options", "bool"}
    prompts["options"].buttons[0].click()
    assert view.run.status is RunStatus.INTERRUPTED  # waits for the other answer
    prompts["bool"].buttons[1].click()  # "no"
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"first": "yes", "second": False}
    assert sorted(view.interrupts.answer, key=str) == [False, "yes"]


def test_breakpoint_shows_a_continue_button() -> None:
    view = run(breakpoint_graph(), {"count": 4})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert "paused at a breakpoint after step 0, before: x" in view.status.value
    (row,) = view.prompts.children
    (button,) = [child for child in row.children if getattr(child, "description", "")]
    button.click()
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"count": 40}


def test_a_node_error_is_shown_escaped() -> None:
    view = run(error_graph(), {"count": 0})
    assert view.wait(TIMEOUT) is RunStatus.ERROR
    assert isinstance(view.run.error, KeyError)
    assert "failed at step 2: KeyError(&#x27;&lt;b&gt;missing&lt;/b&gt;&#x27;)" in view.status.value
    assert view.graph_view.node_states == {"boom": "error"}
    assert 'class="nbp-error"' in view.tasks_html.value
    assert "not saved" in view.state_html.value


def test_a_run_with_no_step_yet_is_starting() -> None:
    from nbpregel.notebook._step_html import status_line

    assert status_line(Run(error_graph()), [], []) == (
        '<span class="nbp-status-new">starting</span>'
    )


def test_a_run_refused_before_its_first_step_says_so() -> None:
    view = run(error_graph(), {"count": 0}, interrupt_before=["ghost"])
    assert view.wait(TIMEOUT) is RunStatus.ERROR
    assert "failed before its first step: GraphValidationError(" in view.status.value
    assert "unknown node &#x27;ghost&#x27;" in view.status.value


def test_resume_refuses_what_does_not_fit() -> None:
    view = run(two_questions_graph("a?", "b?"), {})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    with pytest.raises(ValueError, match=r"2 interrupts are pending \(ids \['"):
        view.resume("just one answer")
    with pytest.raises(ValueError, match="resume\\(\\) needs an answer"):
        view.resume()
    assert view.run.status is RunStatus.INTERRUPTED
    ids = list(view.interrupts.interrupt_id)
    view.resume({ids[0]: 1, ids[1]: 2})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    with pytest.raises(RuntimeError, match="nothing to resume: the run is done"):
        view.resume(3)


def test_listener_errors_do_not_stop_the_run() -> None:
    background = Run(breakpoint_graph(), driver="thread")

    def broken(idle: bool) -> None:
        raise RuntimeError("view bug")

    background.add_listener(broken)
    background.start({"count": 1})
    assert background.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert background.listener_errors and str(background.listener_errors[0]) == "view bug"


def test_run_refuses_stream_mode() -> None:
    with pytest.raises(TypeError, match="drop the stream_mode argument"):
        Run(error_graph(), stream_mode="values")


def test_async_graph_without_a_running_loop_streams_on_a_thread() -> None:
    view = run(async_graph(), {"count": 7})
    assert view.run.driver is Driver.ASYNC
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"count": 7, "text": "fetched 7"}


def test_public_names() -> None:
    import nbpregel.notebook as notebook

    assert {"run", "RunView", "InterruptPrompt", "Recorder", "show", "GraphView"} <= set(
        notebook.__all__
    )
    assert callable(notebook.run) and nbpregel.run is notebook.run
    assert nbpregel.RunView is RunView and nbpregel.InterruptPrompt is InterruptPrompt


# -- in a real kernel: an async graph runs as a task on the kernel's own loop -----------------


class Kernel:
    """A live IPython kernel (this virtualenv's) that runs cells and returns their output."""

    def __init__(self) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3")

    def cell(self, code: str) -> str:
        msg_id = self.client.execute(textwrap.dedent(code))
        out: list[str] = []
        while True:
            msg = self.client.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                raise AssertionError(f"{content['ename']}: {content['evalue']}")
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                return "".join(out)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.mark.notebook
def test_async_graph_runs_on_the_kernel_loop_without_blocking_it() -> None:
    kernel = Kernel()
    try:
        kernel.cell(
            f"""
            import sys
            sys.path.insert(0, {json.dumps(str(Path(__file__).parent))})
            from run_graphs import async_graph
            import nbpregel as nb
            """
        )
        started = kernel.cell(
            """
            view = nb.run(async_graph(), {"count": 1})
            print(view.run.driver, view.run.status, view.run._task is not None)
            """
        )
        assert started.split() == ["async", "running", "True"]
        time.sleep(0.5)  # the kernel is idle: its loop runs the task
        assert kernel.cell("print(view.run.status, view.state())") == (
            "done {'count': 1, 'text': 'fetched 1'}\n"
        )
        waited = kernel.cell(
            """
            again = nb.run(async_graph(), {"count": 2})
            print(again.wait(10), again.state()["text"], "nest_asyncio" in sys.modules)
            """
        )
        assert waited == "done fetched 2 True\n"
    finally:
        kernel.close()


def test_a_prompt_without_a_checkpointer_says_how_to_fix_it() -> None:
    from run_graphs import AskState

    from nbpregel import END, START, StateGraph, interrupt

    builder = StateGraph(AskState)
    builder.add_node("q", lambda state: {"first": interrupt({"options": ["a", "b"]})})
    builder.add_edge(START, "q")
    builder.add_edge("q", END)
    view = run(builder.compile(), {})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    (prompt,) = view.prompts.children
    prompt.buttons[0].click()
    assert "compile it with checkpointer=InMemorySaver()" in prompt.error.value
    assert view.run.status is RunStatus.INTERRUPTED and not prompt.answered
    assert list(view.interrupts.answer) == [None]


def test_a_run_forked_from_an_old_checkpoint_resumes_where_it_paused() -> None:
    graph = fanout_graph()
    config = {"configurable": {"thread_id": "fork"}}
    first = run(graph, {"topic": "x"}, config)
    assert first.wait(TIMEOUT) is RunStatus.INTERRUPTED
    first.resume("yes")
    assert first.wait(TIMEOUT) is RunStatus.DONE
    before_a = next(s for s in graph.get_state_history(config) if set(s.next) == {"a", "b"})
    fork_config = graph.update_state(before_a.config, {"topic": "y"})
    fork = run(graph, None, fork_config)  # steps run past the fork, then ask pauses
    assert fork.wait(TIMEOUT) is RunStatus.INTERRUPTED
    fork.resume("no")
    assert fork.wait(TIMEOUT) is RunStatus.DONE, fork.run.error
    assert (fork.state()["topic"], fork.state()["answer"]) == ("y", "no")
    assert (first.state()["topic"], first.state()["answer"]) == ("x", "yes")


def test_the_runs_context_reaches_its_nodes_again_after_a_prompt_resumes_it() -> None:
    from run_graphs import AskState

    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.runtime import Runtime

    def ask(state: AskState, runtime: Runtime[dict[str, str]]) -> dict[str, Any]:
        user = runtime.context["user"]
        answer = nbpregel.interrupt({"options": ["yes", "no"], "for": user})
        return {"first": f"{answer} from {user}"}

    builder = nbpregel.StateGraph(AskState)
    builder.add_node("ask", ask)
    builder.add_edge(nbpregel.START, "ask")
    view = run(builder.compile(checkpointer=InMemorySaver()), {}, context={"user": "ada"})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    (prompt,) = view.prompts.children
    assert prompt.value["for"] == "ada"
    (yes,) = [button for button in prompt.buttons if button.description == "yes"]
    yes.click()  # resumes the run: its context must reach the node again
    assert view.wait(TIMEOUT) is RunStatus.DONE, view.run.error
    assert view.state()["first"] == "yes from ada"
