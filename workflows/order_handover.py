"""The order journey's hand-overs: it starts the pickup journey when the order is ready for pickup and
the review request when it is delivered, as children that outlive it (ParentClosePolicy.ABANDON: their
timers are their own), and keeps them told of what happens to the order afterwards."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.events import (
        CLOSING_STAGES,
        CommerceEvent,
        OrderPayload,
        OrderStage,
        Platform,
        pickup_workflow_id,
        review_workflow_id,
    )
    from domain.notifications import OrderSnapshot
    from domain.policies import OrderPolicy
    from workflows.messaging import NoteFn
    from workflows.pickup import Pickup, PickupInput
    from workflows.review_request import ReviewInput, ReviewRequest

REVIEW_NEWS = CLOSING_STAGES | {OrderStage.PARTIALLY_REFUNDED, OrderStage.DISPUTED}


class Handover:
    def __init__(self, platform: Platform, store: str, order_id: str, note: NoteFn) -> None:
        self._platform, self._store, self._order_id = platform, store, order_id
        self._note = note
        self.pickup_id: str | None = None  # set once the pickup journey has the order
        self.review_id: str | None = None

    async def hand_over(
        self, stage: OrderStage, event: CommerceEvent, snapshot: OrderSnapshot, policy: OrderPolicy
    ) -> None:
        platform, store, order_id = self._platform, self._store, self._order_id
        forwarded = event.model_copy(
            update={
                "order": (event.order or OrderPayload(order_id=order_id)).model_copy(update={"stage": stage})
            }
        )
        if stage is OrderStage.AWAITING_PICKUP and self.pickup_id is None:
            self.pickup_id = await self._start_child(
                Pickup.run,
                PickupInput(platform=platform, store=store, order=snapshot, policy=policy.pickup),
                pickup_workflow_id(platform, store, order_id),
            )
        elif self.pickup_id is not None:
            await self._tell(self.pickup_id, forwarded)
        if stage is OrderStage.DELIVERED and self.review_id is None:
            self.review_id = await self._start_child(
                ReviewRequest.run,
                ReviewInput(platform=platform, store=store, order=snapshot, policy=policy.review),
                review_workflow_id(platform, store, order_id),
            )
        elif self.review_id is not None and stage in REVIEW_NEWS:
            await self._tell(self.review_id, forwarded)

    async def _start_child(self, run: object, arg: object, workflow_id: str) -> str:
        try:
            await workflow.start_child_workflow(
                run,  # type: ignore[arg-type]
                arg,
                id=workflow_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
            self._note("note", f"handed over to {workflow_id}")
        except WorkflowAlreadyStartedError:
            self._note("note", f"{workflow_id} already running")
        return workflow_id

    async def _tell(self, workflow_id: str, event: CommerceEvent) -> None:
        try:
            await workflow.get_external_workflow_handle(workflow_id).signal("commerce_event", event)
        except Exception as err:  # the journey has finished: nothing left to tell it
            self._note("note", f"{workflow_id} not told ({err})")
