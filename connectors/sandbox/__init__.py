"""Local stand-in for OpenText Cloud Messaging and the BigCommerce REST API, with an outbox page and
fault injection. Never used in production: real endpoints come from configuration."""

from connectors.sandbox.app import create_app
from connectors.sandbox.state import MessageRecord, SandboxState

__all__ = ["MessageRecord", "SandboxState", "create_app"]
