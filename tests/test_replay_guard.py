"""Replay bites: a deliberately incompatible change to OrderLifecycle is caught on a recorded history,
by the `Replayer` and by `tidings replay` (exit 1, naming the workflow and the event), while the
current code and the same change behind `workflow.patched(...)` replay cleanly."""

from __future__ import annotations

from temporalio import workflow

# The Replayer's sandbox re-imports this module to check the changed workflows below; everything it
# imports besides them passes through unchanged.
with workflow.unsafe.imports_passed_through():
    import asyncio
    import json
    import os
    import subprocess
    import sys
    from collections.abc import Sequence
    from datetime import timedelta
    from pathlib import Path

    import pytest
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer
    from temporalio.workflow import NondeterminismError
    from typer.testing import CliRunner, Result

    import starter.history
    from starter.cli import app
    from starter.history import history_filename, workflow_id_from_filename
    from tests.codec_test_key import TEST_CONVERTER, TEST_KEYS_FILE
    from worker import WORKFLOWS
    from workflows.order_lifecycle import OrderLifecycle, OrderLifecycleInput, OrderStatus

# A delivered BigCommerce order, recorded from a demo run with `tidings export-history`.
HISTORY = Path(__file__).parent / "histories" / "order__bigcommerce__demo-store__1001.json"
WORKFLOW_ID = workflow_id_from_filename(HISTORY)
HYDRATE = "hydrate_order"


@workflow.defn(name="OrderLifecycle")
class PausesBeforeReading(OrderLifecycle):
    """The incompatible change: wait a moment before reading the order from the platform. Recorded
    runs scheduled the hydrate activity at that point; this code starts a timer instead."""

    @workflow.run
    async def run(self, inp: OrderLifecycleInput) -> OrderStatus:
        return await super().run(inp)

    async def _hydrate(self) -> bool:
        await workflow.sleep(timedelta(seconds=5))
        return await super()._hydrate()


@workflow.defn(name="OrderLifecycle")
class PausesBeforeReadingWhenPatched(OrderLifecycle):
    """The same change guarded as the README says: recorded runs take the old branch."""

    @workflow.run
    async def run(self, inp: OrderLifecycleInput) -> OrderStatus:
        return await super().run(inp)

    async def _hydrate(self) -> bool:
        if workflow.patched("pause-before-reading"):
            await workflow.sleep(timedelta(seconds=5))
        return await super()._hydrate()


def with_order_lifecycle(replacement: type) -> list[type]:
    return [replacement if w is OrderLifecycle else w for w in WORKFLOWS]


def first_scheduled(history: dict[str, object], activity: str) -> int:
    """The id of the history event where the recorded run first scheduled `activity`."""
    events = history["events"]
    assert isinstance(events, list)
    for event in events:
        attributes = event.get("activityTaskScheduledEventAttributes")
        if attributes and attributes["activityType"]["name"] == activity:
            return int(event["eventId"])
    raise AssertionError(f"{activity} is never scheduled in {HISTORY.name}")


HYDRATE_EVENT = first_scheduled(json.loads(HISTORY.read_text()), HYDRATE)


def squeezed(text: str) -> str:
    """Without whitespace: rich wraps long lines wherever the terminal width falls."""
    return "".join(text.split())


async def replay(workflows: Sequence[type]) -> None:
    replayer = Replayer(workflows=list(workflows), data_converter=TEST_CONVERTER)
    await replayer.replay_workflow(WorkflowHistory.from_json(WORKFLOW_ID, HISTORY.read_text()))


async def test_the_recorded_order_replays_against_the_current_code() -> None:
    await replay(WORKFLOWS)


async def test_a_timer_where_the_history_has_the_hydrate_activity_is_nondeterministic() -> None:
    with pytest.raises(NondeterminismError) as caught:
        await replay(with_order_lifecycle(PausesBeforeReading))
    # Core names the recorded event the new code disagrees with: the hydrate activity's scheduling.
    assert f"HistoryEvent(id: {HYDRATE_EVENT}, ActivityTaskScheduled)" in str(caught.value)


async def test_the_same_change_behind_workflow_patched_replays() -> None:
    await replay(with_order_lifecycle(PausesBeforeReadingWhenPatched))


async def invoke_replay(monkeypatch: pytest.MonkeyPatch, workflows: Sequence[type], path: Path) -> Result:
    """`tidings replay <path>` in-process, with the workflow set `starter.history` replays against
    swapped (the command has no option for it). In a thread: the command runs its own event loop."""
    monkeypatch.setattr(starter.history, "WORKFLOWS", list(workflows))
    args = ["replay", str(path), "--keys-file", str(TEST_KEYS_FILE)]
    return await asyncio.to_thread(CliRunner().invoke, app, args)


async def test_tidings_replay_exits_1_naming_the_workflow_and_the_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = await invoke_replay(monkeypatch, with_order_lifecycle(PausesBeforeReading), HISTORY)
    assert result.exit_code == 1, result.output
    out = squeezed(result.output)
    assert squeezed(f"FAIL {WORKFLOW_ID}") in out
    assert squeezed(f"HistoryEvent(id: {HYDRATE_EVENT}, ActivityTaskScheduled)") in out
    assert squeezed("0 replayed, 1 non-deterministic") in out


async def test_tidings_replay_exits_0_on_the_current_code(monkeypatch: pytest.MonkeyPatch) -> None:
    result = await invoke_replay(monkeypatch, WORKFLOWS, HISTORY)
    assert result.exit_code == 0, result.output
    out = squeezed(result.output)
    assert squeezed(f"ok {WORKFLOW_ID}") in out and squeezed("1 replayed, 0 non-deterministic") in out


def tidings(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as an engineer runs it before a change."""
    command = Path(sys.executable).parent / "tidings"
    env = {**os.environ, "COLUMNS": "240"}
    return subprocess.run([str(command), *args], capture_output=True, text=True, env=env, timeout=120)


async def test_the_tidings_command_catches_a_history_recorded_before_an_activity_was_renamed(
    tmp_path: Path,
) -> None:
    # As if the run had been recorded when the activity was still called `read_order`.
    history = json.loads(HISTORY.read_text())
    for event in history["events"]:
        if int(event["eventId"]) == HYDRATE_EVENT:
            event["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "read_order"
    older = tmp_path / "older" / history_filename(WORKFLOW_ID)
    older.parent.mkdir()
    older.write_text(json.dumps(history))
    current = tmp_path / "current" / history_filename(WORKFLOW_ID)
    current.parent.mkdir()
    current.write_text(HISTORY.read_text())

    failed, passed = await asyncio.gather(
        asyncio.to_thread(tidings, "replay", str(older), "--keys-file", str(TEST_KEYS_FILE)),
        asyncio.to_thread(tidings, "replay", str(current), "--keys-file", str(TEST_KEYS_FILE)),
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = squeezed(failed.stdout)
    assert squeezed(f"FAIL {WORKFLOW_ID}") in out
    assert squeezed("scheduled event 'read_order' does not match activity type of activity command") in out
    assert f"'{HYDRATE}'" in out
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert squeezed(f"ok {WORKFLOW_ID}") in squeezed(passed.stdout)
