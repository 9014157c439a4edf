"""The campaigns API: start a promotional campaign, pause, resume or cancel it, and read its progress,
behind the bearer token of the ingress's own APIs (`TIDINGS_API_TOKEN`).

    POST /campaigns                               a CampaignSpec → 202 (409: the id is taken)
    GET  /campaigns/{store}/{campaign_id}         its progress (sent, suppressed, failed, remaining …)
    POST /campaigns/{store}/{campaign_id}/pause   no new sends until resumed
    POST /campaigns/{store}/{campaign_id}/resume
    POST /campaigns/{store}/{campaign_id}/cancel  stop; the run ends with the progress so far

`start_campaign` and `campaign_progress` are shared with the CLI (`tidings campaign …`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.rendering import TEMPLATE_DIR
from connectors import safe_json
from connectors.errors import WebhookPayloadError
from domain import identifiers
from domain.campaign import CampaignPolicy, CampaignSpec, CampaignStatus
from domain.events import Platform, campaign_workflow_id
from domain.settings import Settings
from starter.api_auth import bearer_token
from starter.unreachable import failure_answer
from workflows.campaign import Campaign, CampaignInput

log = logging.getLogger("tidings.campaigns")

SIGNALS = ("pause", "resume", "cancel")


class CampaignNotFound(LookupError):
    pass


class CampaignFinished(RuntimeError):
    pass


def missing_templates(spec: CampaignSpec) -> list[str]:
    """Templates the campaign needs that do not exist (English is the fallback every locale has)."""
    return [
        f"campaign/{spec.template}.{channel.value}.en.j2"
        for channel in spec.channels
        if not (TEMPLATE_DIR / "campaign" / f"{spec.template}.{channel.value}.en.j2").is_file()
    ]


def describe_errors(exc: ValidationError) -> str:
    """ "segment.country: …; content.subject is missing": the field path and what is wrong."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(body)"
        problems.append(f"{where} is missing" if error["type"] == "missing" else f"{where}: {error['msg']}")
    return "; ".join(problems)


async def start_campaign(client: Client, settings: Settings, spec: CampaignSpec) -> str:
    """Start the campaign's run; raises `WorkflowAlreadyStartedError` when its id was used before.
    An id may be reused only after a run that failed or was terminated (the ledger still keeps
    anyone who already got the message from getting it twice)."""
    workflow_id = campaign_workflow_id(spec.store, spec.campaign_id)
    policy = CampaignPolicy.from_settings(settings.for_store(spec.platform, spec.store))
    await client.start_workflow(
        Campaign.run,
        CampaignInput(spec=spec, policy=policy),
        id=workflow_id,
        task_queue=settings.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    return workflow_id


async def campaign_progress(client: Client, store: str, campaign_id: str) -> CampaignStatus:
    """The progress of a running campaign (its query) or of a finished one (its result, which needs
    no worker). Raises `CampaignNotFound`."""
    handle = client.get_workflow_handle(campaign_workflow_id(store, campaign_id), result_type=CampaignStatus)
    try:
        description = await handle.describe()
        if description.status is WorkflowExecutionStatus.COMPLETED:
            return await handle.result()
        return await handle.query(Campaign.progress)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise CampaignNotFound(f"no campaign {campaign_id} in store {store}") from None
        raise


async def signal_campaign(client: Client, store: str, campaign_id: str, signal: str) -> None:
    """pause, resume or cancel. Raises `CampaignNotFound`, or `CampaignFinished` when it has ended."""
    if signal not in SIGNALS:
        raise ValueError(f"unknown campaign signal {signal!r}")
    handle = client.get_workflow_handle(campaign_workflow_id(store, campaign_id))
    try:
        await handle.signal(signal)
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        try:
            description = await handle.describe()
        except RPCError as missing:
            if missing.status is RPCStatusCode.NOT_FOUND:
                raise CampaignNotFound(f"no campaign {campaign_id} in store {store}") from None
            raise
        how = description.status.name.lower() if description.status else "closed"
        raise CampaignFinished(f"campaign {campaign_id} has ended ({how})") from None


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The spec's JSON schema with its `$defs` written in place, so it stands on its own inside the
    OpenAPI document (whose `#/` is not the schema's)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return dict(walk(schema))


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    content = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(content, status_code=status)


def _bad_key(platform: Platform | None, store: str, campaign_id: str) -> JSONResponse | None:
    """400 naming the store or campaign id that cannot be part of a workflow id."""
    try:
        identifiers.check(platform, "store", store)
        identifiers.check(platform, "campaign_id", campaign_id)
    except identifiers.InvalidIdentifier as exc:
        return _error(400, str(exc), exc.field)
    return None


def router(settings: Settings) -> APIRouter:
    authorised = bearer_token(settings)

    api = APIRouter(prefix="/campaigns", tags=["campaigns"], dependencies=[Depends(authorised)])

    @api.post(
        "",
        status_code=202,
        responses={400: {}, 401: {}, 409: {}, 503: {}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": inline_refs(CampaignSpec.model_json_schema())}},
            }
        },
    )
    async def create_campaign(request: Request) -> Any:
        """Start a campaign. The body is a CampaignSpec; unknown fields are refused (a misspelt
        segment filter must not widen the audience)."""
        try:
            spec = CampaignSpec.model_validate(safe_json.loads(await request.body()))
        except WebhookPayloadError as exc:  # not JSON, or over the ingress's JSON limits
            return _error(400, str(exc))
        except ValidationError as exc:
            return _error(400, describe_errors(exc))
        if (bad := _bad_key(spec.platform, spec.store, spec.campaign_id)) is not None:
            return bad
        missing = missing_templates(spec)
        if missing:
            return _error(400, f"template: {spec.template!r} has no {', '.join(missing)}")
        client: Client = request.app.state.client
        try:
            workflow_id = await start_campaign(client, settings, spec)
        except WorkflowAlreadyStartedError:
            return _error(409, f"campaign {spec.campaign_id} of store {spec.store} exists already")
        except Exception as exc:
            return failure_answer(exc, log, f"campaign {spec.campaign_id}")
        return {
            "status": "started",
            "workflow_id": workflow_id,
            "progress": f"/campaigns/{spec.store}/{spec.campaign_id}",
        }

    @api.get("/{store}/{campaign_id}", response_model=CampaignStatus, responses={404: {}})
    async def get_progress(store: str, campaign_id: str, request: Request) -> Any:
        if (bad := _bad_key(None, store, campaign_id)) is not None:
            return bad
        try:
            return await campaign_progress(request.app.state.client, store, campaign_id)
        except CampaignNotFound as exc:
            return _error(404, str(exc))
        except Exception as exc:
            return failure_answer(exc, log, f"campaign {campaign_id}")

    async def _signal(request: Request, store: str, campaign_id: str, signal: str) -> Any:
        if (bad := _bad_key(None, store, campaign_id)) is not None:
            return bad
        try:
            await signal_campaign(request.app.state.client, store, campaign_id, signal)
        except CampaignNotFound as exc:
            return _error(404, str(exc))
        except CampaignFinished as exc:
            return _error(409, str(exc))
        except Exception as exc:
            return failure_answer(exc, log, f"campaign {campaign_id}")
        return JSONResponse({"status": "accepted", "signal": signal}, status_code=202)

    @api.post("/{store}/{campaign_id}/pause", status_code=202, responses={404: {}, 409: {}})
    async def pause(store: str, campaign_id: str, request: Request) -> Any:
        """No new sends until resumed (sends already under way finish)."""
        return await _signal(request, store, campaign_id, "pause")

    @api.post("/{store}/{campaign_id}/resume", status_code=202, responses={404: {}, 409: {}})
    async def resume(store: str, campaign_id: str, request: Request) -> Any:
        return await _signal(request, store, campaign_id, "resume")

    @api.post("/{store}/{campaign_id}/cancel", status_code=202, responses={404: {}, 409: {}})
    async def cancel(store: str, campaign_id: str, request: Request) -> Any:
        """Stop the campaign; it ends with the progress so far."""
        return await _signal(request, store, campaign_id, "cancel")

    return api
