"""Every recorded history must replay against the current workflow code. A change that breaks one
is guarded with `workflow.patched(...)`, never re-recorded away. The corpus is encrypted with the
test key (tests/codec_test_key.py), as the codec encrypts every history."""

from __future__ import annotations

from pathlib import Path

import pytest

from starter.history import history_files, replay_files
from tests.codec_test_key import TEST_CONVERTER

HISTORIES = Path(__file__).parent / "histories"


def test_the_corpus_covers_every_workflow_type() -> None:
    from worker import WORKFLOWS

    recorded = " ".join(p.read_text()[:4000] for p in history_files([HISTORIES]))
    for workflow_class in WORKFLOWS:
        assert (
            f'"name": "{workflow_class.__name__}"' in recorded
            or f'"name":"{workflow_class.__name__}"' in recorded
        )


@pytest.mark.parametrize("path", history_files([HISTORIES]), ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    [outcome] = await replay_files([path], TEST_CONVERTER)
    assert outcome.error is None, f"{outcome.workflow_id} is no longer deterministic: {outcome.error}"
