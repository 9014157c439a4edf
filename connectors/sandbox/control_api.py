"""Endpoints that exist only in the sandbox: inspect and clear what was sent, set faults, revoke
tokens, health. Tests and the demo assert on these instead of on a real phone or inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from connectors.sandbox.faults import FaultConfig
from connectors.sandbox.state import SandboxState, get_state

router = APIRouter(tags=["sandbox"])

State = Annotated[SandboxState, Depends(get_state)]


@router.get("/sandbox/messages")
async def list_messages(
    state: State, to: str | None = None, reference: str | None = None
) -> list[dict[str, Any]]:
    """Every message received, oldest first; `to` and `reference` filter on exact values."""
    return [m.model_dump(mode="json") for m in state.messages_matching(to=to, reference=reference)]


@router.delete("/sandbox/messages")
async def clear_messages(state: State) -> dict[str, int]:
    """Forget every message and every simulated reply (the outbox starts empty)."""
    deleted = len(state.messages)
    state.messages.clear()
    state.replies.clear()
    return {"deleted": deleted}


@router.get("/sandbox/faults")
async def get_faults(state: State) -> FaultConfig:
    return state.faults


@router.post("/sandbox/faults")
async def set_faults(state: State, faults: FaultConfig) -> FaultConfig:
    """Replaces the whole fault configuration: `{}` turns every fault off."""
    state.set_faults(faults)
    return state.faults


@router.delete("/sandbox/tokens")
async def revoke_tokens(state: State) -> dict[str, int]:
    """Forget every issued token, so the next API call gets a 401 (exercises token refresh)."""
    revoked = len(state.tokens)
    state.tokens.clear()
    return {"revoked": revoked}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
