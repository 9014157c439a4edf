"""TLS to Temporal: none (local), server TLS (Temporal Cloud with an API key), or mTLS with a client
certificate (self-hosted clusters, or Temporal Cloud without an API key)."""

from __future__ import annotations

from temporalio.service import TLSConfig

from domain.settings import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    """What `Client.connect(tls=...)` takes: a TLSConfig when a certificate or CA is configured."""
    cert, key, ca = settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca
    if cert or key or ca or settings.temporal_tls_server_name:
        return TLSConfig(
            client_cert=cert.read_bytes() if cert else None,
            client_private_key=key.read_bytes() if key else None,
            server_root_ca_cert=ca.read_bytes() if ca else None,
            domain=settings.temporal_tls_server_name,
        )
    return settings.temporal_tls or settings.temporal_api_key is not None
