"""The bare arm's workflow, alone in its module: the sandbox re-imports a workflow's module for each
run, so it imports nothing but temporalio (as a lean bare-temporalio app would)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow


@dataclass
class BareEvent:
    name: str
    phone: str = "+14155550101"
    messages: int = 1  # messages this event has the journey send
    timers: int = 0  # of which this many wait on a timer first (an abandoned cart's delay)


@dataclass
class BareSend:
    reference: str
    phone: str
    text: str


@dataclass
class BareState:
    pending: list[BareEvent] = field(default_factory=list)
    handled: int = 0


@workflow.defn(name="BareJourney")
class BareJourney:
    def __init__(self) -> None:
        self.state = BareState()

    @workflow.run
    async def run(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self.state.pending))
            event = self.state.pending.pop(0)
            for n in range(event.messages):
                if n < event.timers:
                    await workflow.sleep(0.01)
                await workflow.execute_activity(
                    "bare_send",
                    BareSend(
                        f"{workflow.info().workflow_id}:{event.name}:{n}",
                        event.phone,
                        f"Update: {event.name}",
                    ),
                    start_to_close_timeout=timedelta(seconds=30),
                )
            self.state.handled += 1

    @workflow.signal
    def event(self, event: BareEvent) -> None:
        self.state.pending.append(event)

    @workflow.query
    def handled(self) -> int:
        return self.state.handled
