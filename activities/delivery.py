"""The delivery activity: one call per message. Ledger claim → channel by channel: render, send
through OpenText → ledger finish. Idempotent on the message key."""

from __future__ import annotations

from temporalio import activity

from activities.errors import to_application_error
from activities.ledger import Ledger, result_from_row
from activities.rendering import Renderer
from connectors.errors import ProviderError
from connectors.opentext.client import OpenTextClient
from connectors.opentext.payloads import PushMessage
from connectors.opentext.sms import sms_segments
from domain.notifications import Channel, ChannelAttempt, MessageRequest, MessageResult, MessageStatus


class DeliveryActivities:
    def __init__(self, opentext: OpenTextClient, ledger: Ledger, renderer: Renderer, from_name: str) -> None:
        self.opentext = opentext
        self.from_name = from_name
        self.ledger = ledger
        self.renderer = renderer

    async def _send_on(
        self, channel: Channel, address: str, request: MessageRequest
    ) -> tuple[str, int | None]:
        rendered = self.renderer.render(
            request.journey, request.step, channel, request.recipient.locale, request.context
        )
        if channel is Channel.SMS:
            job = await self.opentext.send_sms(to=address, text=rendered.text, key=request.key)
            return job, sms_segments(rendered.text)
        if channel is Channel.EMAIL:
            job = await self.opentext.send_email(
                to=address,
                subject=rendered.subject or "",
                html=rendered.html,
                text=rendered.text,
                key=request.key,
                display_to=request.recipient.name,
                from_name=self.from_name,
            )
            return job, None
        push = PushMessage(
            token=address,
            title=rendered.subject or "",
            body=rendered.text,
            key=request.key,
            link=request.context.get("link"),
            collapse_key=request.workflow_id,
        )
        return await self.opentext.send_push(push), None

    @activity.defn(name="send_message")
    async def send_message(self, request: MessageRequest) -> MessageResult:
        existing = await self.ledger.claim(request)
        if existing is not None:
            activity.logger.info("message %s already %s; not sending again", request.key, existing.status)
            return result_from_row(existing)

        attempts: list[ChannelAttempt] = []
        for channel in request.channels:
            address = request.recipient.address(channel)
            if not address:
                attempts.append(
                    ChannelAttempt(channel=channel, outcome="skipped", reason=f"no {channel} address")
                )
                continue
            try:
                job_id, segments = await self._send_on(channel, address, request)
            except ProviderError as exc:
                if exc.transient:
                    raise to_application_error(exc) from exc
                attempts.append(ChannelAttempt(channel=channel, outcome="failed", reason=str(exc)))
                continue
            attempts.append(ChannelAttempt(channel=channel, outcome="sent"))
            result = MessageResult(
                key=request.key,
                status=MessageStatus.SENT,
                channel=channel,
                job_id=job_id,
                segments=segments,
                attempts=attempts,
            )
            await self.ledger.finish(result, address)
            return result

        reason = "; ".join(f"{a.channel}: {a.reason}" for a in attempts) or "no channels in policy"
        status = (
            MessageStatus.FAILED if any(a.outcome == "failed" for a in attempts) else MessageStatus.SUPPRESSED
        )
        result = MessageResult(key=request.key, status=status, reason=reason, attempts=attempts)
        await self.ledger.finish(result, None)
        return result
