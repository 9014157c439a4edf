"""How every journey sends: one delivery activity per message, quiet hours waited out durably in
the workflow (visible in its `status` query), and OpenText's receipts applied to the message list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliveryActivities
    from domain.notifications import (
        Channel,
        DeliveryReceipt,
        DeliveryState,
        MessageRequest,
        MessageResult,
        MessageStatus,
    )

# Sends retry transient failures for hours (a provider outage), then the run records the failure and
# goes on; permanent failures are not retried (see activities/errors.py).
ACTIVITY_TIMEOUT = timedelta(seconds=60)
ACTIVITY_GIVE_UP = timedelta(hours=6)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=2))

A = TypeVar("A")
R = TypeVar("R")


async def call(activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """Run one of our activity methods with the journeys' standard timeouts and retries."""
    return await workflow.execute_activity_method(
        activity,  # type: ignore[arg-type]
        arg,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        schedule_to_close_timeout=ACTIVITY_GIVE_UP,
        retry_policy=ACTIVITY_RETRY,
    )


class WaitingMessage(BaseModel):
    key: str
    step: str
    channel: Channel | None
    until: datetime
    reason: str


NoteFn = Callable[..., None]


class Messenger:
    def __init__(self, note: NoteFn) -> None:
        self._note = note
        self.messages: list[MessageResult] = []
        self.waiting: list[WaitingMessage] = []

    async def send(
        self, request: MessageRequest, cancel_when: Callable[[], bool] | None = None
    ) -> MessageResult:
        """Send one message. While it waits out quiet hours, `cancel_when` turning true (the journey
        exited: cart converted, order refunded …) drops it, recorded as suppressed."""
        while True:
            try:
                result = await call(
                    DeliveryActivities.send_message, request.model_copy(update={"now": workflow.now()})
                )
            except ActivityError as err:
                result = MessageResult(
                    key=request.key, status=MessageStatus.FAILED, reason=str(err.cause or err)
                )
            if result.status is not MessageStatus.DEFERRED or result.not_before is None:
                break
            waiting = WaitingMessage(
                key=request.key,
                step=f"{request.journey}/{request.step}",
                channel=result.channel,
                until=result.not_before,
                reason=result.reason or "quiet hours",
            )
            self.waiting.append(waiting)
            self._note("message", f"{waiting.step}: waiting, {waiting.reason}", message_key=request.key)
            wait = max(result.not_before - workflow.now(), timedelta(seconds=1))
            cancelled = False
            if cancel_when is None:
                await workflow.sleep(wait)
            else:
                try:
                    await workflow.wait_condition(cancel_when, timeout=wait)
                    cancelled = True
                except TimeoutError:
                    pass
            self.waiting.remove(waiting)
            if cancelled:
                result = MessageResult(
                    key=request.key,
                    status=MessageStatus.SUPPRESSED,
                    reason="journey ended before quiet hours did",
                )
                break
        self.messages.append(result)
        summary = f"{request.journey}/{request.step}: {result.status}"
        if result.channel:
            summary += f" by {result.channel}"
        if result.reason:
            summary += f" ({result.reason})"
        self._note("message", summary, message_key=request.key, channel=result.channel, status=result.status)
        return result

    def apply_receipt(self, receipt: DeliveryReceipt) -> bool:
        """Mark a sent message delivered or failed. Returns False when the receipt is not ours."""
        if receipt.state is DeliveryState.PENDING:
            return False
        for index, message in enumerate(self.messages):
            if message.key == receipt.message_key or (message.job_id and message.job_id == receipt.job_id):
                status = (
                    MessageStatus.DELIVERED
                    if receipt.state is DeliveryState.DELIVERED
                    else MessageStatus.FAILED
                )
                self.messages[index] = message.model_copy(
                    update={"status": status, "reason": receipt.detail if receipt.detail else message.reason}
                )
                self._note(
                    "receipt",
                    f"{message.key.rsplit(':', 1)[-1]}: {status}"
                    + (f" ({receipt.detail})" if receipt.detail else ""),
                    message_key=message.key,
                    channel=receipt.channel,
                    status=status,
                )
                return True
        return False

    def sent_count(self) -> int:
        return sum(1 for m in self.messages if m.status in (MessageStatus.SENT, MessageStatus.DELIVERED))
