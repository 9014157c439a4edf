"""What operators rely on in the Web UI, for every workflow type the worker runs: a `status` query
(the Queries tab), and no workflow type missing from the worker's list."""

from __future__ import annotations

import pytest
from temporalio.workflow import _Definition

from worker import WORKFLOWS


@pytest.mark.parametrize("workflow_class", WORKFLOWS, ids=lambda c: c.__name__)
def test_every_journey_answers_the_status_query(workflow_class: type) -> None:
    definition = _Definition.must_from_class(workflow_class)
    assert "status" in definition.queries, f"{definition.name} has no status query"


def test_the_worker_runs_every_journey_of_the_product() -> None:
    names = {_Definition.must_from_class(c).name for c in WORKFLOWS}
    assert names == {
        "OrderLifecycle",
        "AbandonedCart",
        "Pickup",
        "ReviewRequest",
        "ServiceCase",
        "ConsentReply",
        "ProductWatch",
        "OpsAlerts",
        "AccountMessage",
        "CustomerLifecycle",
        "Campaign",
    }
