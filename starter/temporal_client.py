"""One way to connect to Temporal, shared by the worker, the ingress and the CLI."""

from __future__ import annotations

from temporalio.client import Client

from domain.settings import Settings
from starter.encryption import data_converter
from starter.observability.tracing import temporal_interceptors
from starter.temporal_tls import tls_config


async def connect(settings: Settings, *, lazy: bool = False) -> Client:
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),  # encrypted payloads (starter/encryption.py)
        api_key=api_key,
        tls=tls_config(settings),  # server TLS, or mTLS with TIDINGS_TEMPORAL_TLS_CERT/_KEY
        interceptors=temporal_interceptors(),  # the worker inherits them from its client
        lazy=lazy,
    )
