"""The delivery activity: one call per message, idempotent on the message key.

Ledger claim, read in one transaction with the customer's preferences and the opt-outs of every
address the message could go to (a key claimed by an attempt that never finished is first looked up
at OpenText, and a job found there is recorded instead of sending again) → channel by
channel: address, consent, frequency cap, quiet hours, render, segment limit, send through OpenText
→ ledger finish. A channel that cannot be used (no address, invalid number, opt-out, no marketing
opt-in, cap reached, permanent provider failure, too many segments) falls through to the next;
transient provider failures raise and are retried by Temporal. A marketing SMS or push inside the
recipient's quiet hours is not sent: the claim is released and the result says when to try again
(the workflow waits durably).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.addressing import InvalidAddress, e164, recipient_time_zone
from activities.errors import to_application_error
from activities.rendering import Renderer
from connectors.errors import ProviderError
from connectors.opentext.client import OpenTextClient
from connectors.opentext.payloads import PushMessage
from connectors.opentext.sms import sms_segments
from domain.notifications import (
    Category,
    Channel,
    ChannelAttempt,
    MessageRequest,
    MessageResult,
    MessageStatus,
    Recipient,
    SkipCode,
)
from domain.preferences import Preferences, QuietHours, zone
from store.ledger import result_from_row
from store.send_context import SendContext
from store.stores import Stores

QUIET_CHANNELS = frozenset({Channel.SMS, Channel.PUSH})


@dataclass
class Skip(Exception):
    """This channel cannot carry the message; `outcome` is "skipped" (never tried) or "failed"."""

    outcome: str
    code: SkipCode
    reason: str


def _merge(recipient: Recipient, prefs: Preferences | None) -> Recipient:
    """The customer's own preferences win over what the platform told us."""
    if prefs is None:
        return recipient
    return recipient.model_copy(
        update={
            "email": prefs.email or recipient.email,
            "phone": prefs.phone or recipient.phone,
            "push_token": prefs.push_token or recipient.push_token,
            "locale": prefs.locale or recipient.locale,
            "time_zone": prefs.time_zone or recipient.time_zone,
        }
    )


def _channel_order(request: MessageRequest, prefs: Preferences | None) -> list[Channel]:
    if not prefs or not prefs.channels:
        return list(request.channels)
    preferred = [c for c in prefs.channels if c in request.channels]
    return preferred + [c for c in request.channels if c not in preferred]


def _address(channel: Channel, recipient: Recipient, request: MessageRequest) -> str:
    """The recipient's address on `channel` as it would be used, or `Skip` saying why there is none."""
    address = recipient.address(channel)
    if not address:
        raise Skip("skipped", SkipCode.NO_ADDRESS, f"no {channel} address")
    if channel is Channel.SMS:
        try:
            return e164(address, recipient.country or request.policy.default_region)
        except InvalidAddress as exc:
            raise Skip("failed", SkipCode.INVALID_ADDRESS, str(exc)) from None
    return address


def _candidates(request: MessageRequest, prefs: Preferences | None) -> list[tuple[Channel, str]]:
    """Every (channel, address) the message could go to: their opt-outs are read with the claim."""
    recipient = _merge(request.recipient, prefs)
    found = []
    for channel in request.channels:
        try:
            found.append((channel, _address(channel, recipient, request)))
        except Skip:
            continue
    return found


class DeliveryActivities:
    def __init__(
        self,
        opentext: OpenTextClient,
        stores: Stores,
        renderer: Renderer,
        from_name: str,
        accounts: Callable[[str | None], OpenTextClient] | None = None,
    ) -> None:
        self.opentext = opentext
        # Per-store OpenText accounts by name; None (or no resolver) is the default account.
        self.accounts = accounts or (lambda _name: opentext)
        self.stores = stores
        self.renderer = renderer
        self.from_name = from_name

    async def _usable_address(
        self, channel: Channel, recipient: Recipient, request: MessageRequest, context: SendContext
    ) -> str:
        """The address to use on this channel, or `Skip` saying why not."""
        address = _address(channel, recipient, request)
        prefs = context.preferences
        blocked = context.blocks(channel, address, request.category)
        if blocked and not (request.confirms_opt_out and channel is Channel.SMS):
            raise Skip("skipped", SkipCode.OPTED_OUT, blocked)
        if request.category is Category.MARKETING:
            if prefs is None or channel not in prefs.marketing_opt_in:
                raise Skip("skipped", SkipCode.NO_OPT_IN, f"no marketing opt-in for {channel}")
            await self._check_cap(channel, request)
        return address

    async def _check_cap(self, channel: Channel, request: MessageRequest) -> None:
        cap, window = request.policy.marketing_cap, request.policy.cap_window
        if cap is None or not request.customer_key:
            return
        since = (request.now or datetime.now().astimezone()) - window
        sent = await self.stores.ledger.sent_since(
            request.customer_key, channel, Category.MARKETING.value, since
        )
        if sent >= cap:
            raise Skip(
                "skipped", SkipCode.CAPPED, f"frequency cap: {sent} marketing {channel} messages in {window}"
            )

    def _quiet_until(
        self, channel: Channel, recipient: Recipient, request: MessageRequest, prefs: Preferences | None
    ) -> datetime | None:
        if request.category is not Category.MARKETING or channel not in QUIET_CHANNELS or request.now is None:
            return None
        policy = request.policy
        quiet = (prefs.quiet_hours if prefs else None) or QuietHours(
            start=policy.quiet_hours_start, end=policy.quiet_hours_end
        )
        tz = zone(recipient_time_zone(recipient.time_zone, recipient.phone, policy.store_time_zone))
        local = request.now.astimezone(tz)
        ends = quiet.ends_after(local)
        return None if ends == local else ends

    async def _send_on(
        self, channel: Channel, address: str, request: MessageRequest
    ) -> tuple[str, int | None]:
        locale = request.recipient.locale or request.policy.default_locale
        rendered = self.renderer.render(request.journey, request.step, channel, locale, request.context)
        opentext = self.accounts(request.policy.opentext_account)
        if channel is Channel.SMS:
            segments = sms_segments(rendered.text)
            if segments > request.policy.max_sms_segments:
                raise Skip(
                    "failed",
                    SkipCode.TOO_LONG,
                    f"{segments} SMS segments, more than {request.policy.max_sms_segments}",
                )
            job = await opentext.send_sms(to=address, text=rendered.text, key=request.key)
            return job, segments
        if channel is Channel.EMAIL:
            job = await opentext.send_email(
                to=address,
                subject=rendered.subject or "",
                html=rendered.html,
                text=rendered.text,
                key=request.key,
                display_to=request.recipient.name,
                from_name=request.policy.from_name or self.from_name,
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
        return await opentext.send_push(push), None

    async def _sent_by_earlier_attempt(self, request: MessageRequest) -> MessageResult | None:
        """The key was claimed and never finished: an earlier attempt died, or lost OpenText's answer,
        possibly after OpenText accepted. Ask OpenText, on every channel that attempt could have
        reached, for a job under our key; record the one found instead of sending again. A lookup
        that fails raises: better a retry, or a visible failure, than a second message."""
        opentext = self.accounts(request.policy.opentext_account)
        for channel in request.channels:
            try:
                job = await opentext.find_job(channel, request.key)
            except ProviderError as exc:
                raise to_application_error(exc) from exc
            if job is None:
                continue
            activity.logger.warning(
                "message %s: an earlier attempt was accepted as %s job %s; recording it, not sending again",
                request.key,
                channel,
                job.job_id,
            )
            result = MessageResult(
                key=request.key,
                status=MessageStatus.SENT,
                channel=channel,
                job_id=job.job_id,
                attempts=[ChannelAttempt(channel=channel, outcome="sent")],
            )
            await self.stores.ledger.finish(result, job.address)
            return result
        return None

    @activity.defn(name="send_message")
    async def send_message(self, request: MessageRequest) -> MessageResult:
        # One transaction for the claim, the preferences and the opt-outs of every candidate address.
        context = await self.stores.sends.claim(request, lambda prefs: _candidates(request, prefs))
        existing = context.existing
        if existing is not None and existing.status != "sending":
            activity.logger.info("message %s already %s; not sending again", request.key, existing.status)
            return result_from_row(existing)
        if existing is not None:
            found = await self._sent_by_earlier_attempt(request)
            if found is not None:
                return found

        prefs = context.preferences
        recipient = _merge(request.recipient, prefs)
        request = request.model_copy(update={"recipient": recipient})
        attempts: list[ChannelAttempt] = []
        for channel in _channel_order(request, prefs):
            try:
                address = await self._usable_address(channel, recipient, request, context)
                quiet_until = self._quiet_until(channel, recipient, request, prefs)
                if quiet_until is not None:
                    await self.stores.ledger.release(request.key)
                    return MessageResult(
                        key=request.key,
                        status=MessageStatus.DEFERRED,
                        channel=channel,
                        reason=f"quiet hours until {quiet_until:%Y-%m-%d %H:%M %Z} recipient time",
                        not_before=quiet_until,
                        attempts=attempts,
                    )
                job_id, segments = await self._send_on(channel, address, request)
            except Skip as skip:
                attempts.append(
                    ChannelAttempt(channel=channel, outcome=skip.outcome, reason=skip.reason, code=skip.code)
                )
                continue
            except ProviderError as exc:
                if exc.transient:
                    raise to_application_error(exc) from exc
                attempts.append(
                    ChannelAttempt(channel=channel, outcome="failed", reason=str(exc), code=SkipCode.REJECTED)
                )
                continue
            # why earlier channels were passed over stays on the record (e.g. an invalid number)
            passed_over = "; ".join(f"{a.channel}: {a.reason}" for a in attempts) or None
            attempts.append(ChannelAttempt(channel=channel, outcome="sent"))
            result = MessageResult(
                key=request.key,
                status=MessageStatus.SENT,
                channel=channel,
                job_id=job_id,
                segments=segments,
                attempts=attempts,
                reason=passed_over,
            )
            await self.stores.ledger.finish(result, address)
            return result

        reason = "; ".join(f"{a.channel}: {a.reason}" for a in attempts) or "no channels in policy"
        status = (
            MessageStatus.FAILED if any(a.outcome == "failed" for a in attempts) else MessageStatus.SUPPRESSED
        )
        result = MessageResult(key=request.key, status=status, reason=reason, attempts=attempts)
        await self.stores.ledger.finish(result, None)
        return result
