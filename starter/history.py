"""Export workflow histories as JSON and replay them against the current workflow code.

Files use Temporal's own history JSON (the same as the Web UI's download and
`temporal workflow show --output json`); the file name carries the workflow id (`:` written as `__`).
Histories are written as the server holds them, payloads encrypted; `decode` writes them in clear.
Replay decrypts with the converter it is given (keys from the settings, or the corpus's test key)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from starter.codec import EncryptionCodec
from starter.history_payloads import PayloadFn, transform_history
from worker import WORKFLOWS


def history_filename(workflow_id: str) -> str:
    return workflow_id.replace(":", "__").replace("/", "_") + ".json"


def workflow_id_from_filename(path: Path) -> str:
    return path.stem.replace("__", ":")


def read_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(workflow_id_from_filename(path), path.read_text())


def recoded(history: WorkflowHistory, fn: PayloadFn) -> WorkflowHistory:
    """The same history with `fn` applied to every payload but search attributes and headers
    (a codec's `encrypt` or `decrypt`)."""
    whole = History(events=history.events)
    transform_history(whole, fn)
    return WorkflowHistory(history.workflow_id, list(whole.events))


async def export_histories(
    client: Client, workflow_ids: Iterable[str], out_dir: Path, decode: EncryptionCodec | None = None
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        if decode is not None:
            history = recoded(history, decode.decrypt)
        path = out_dir / history_filename(workflow_id)
        path.write_text(history.to_json())
        written.append(path)
    return written


async def export_query(
    client: Client, query: str, out_dir: Path, limit: int = 200, decode: EncryptionCodec | None = None
) -> list[Path]:
    ids = []
    async for execution in client.list_workflows(query, limit=limit):
        ids.append(execution.id)
    return await export_histories(client, ids, out_dir, decode)


def history_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.json")))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no history file or directory at {path}")
    return files


@dataclass(frozen=True)
class ReplayOutcome:
    source: str
    workflow_id: str
    error: str | None


async def replay_files(
    paths: Iterable[Path], converter: DataConverter = pydantic_data_converter
) -> list[ReplayOutcome]:
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=converter)
    outcomes = []
    for path in history_files(paths):
        workflow_id = workflow_id_from_filename(path)
        history = read_history(path)
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        error = None if result.replay_failure is None else str(result.replay_failure)
        outcomes.append(ReplayOutcome(str(path), workflow_id, error))
    return outcomes


async def replay_query(client: Client, query: str, limit: int = 200) -> list[ReplayOutcome]:
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=client.data_converter)
    outcomes = []
    async for execution in client.list_workflows(query, limit=limit):
        history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        error = None if result.replay_failure is None else str(result.replay_failure)
        outcomes.append(ReplayOutcome(f"{execution.id}/{execution.run_id}", execution.id, error))
    return outcomes
