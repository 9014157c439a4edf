"""BigCommerce: webhook verification and parsing, order status mapping, and the REST client."""

from connectors.bigcommerce.client import BigCommerceClient
from connectors.bigcommerce.signature import sign_webhook, verify_webhook
from connectors.bigcommerce.status_map import STATUS_NAMES, STATUS_STAGES, stage_for_status
from connectors.bigcommerce.webhooks import ParsedWebhook, parse_webhook

__all__ = [
    "STATUS_NAMES",
    "STATUS_STAGES",
    "BigCommerceClient",
    "ParsedWebhook",
    "parse_webhook",
    "sign_webhook",
    "stage_for_status",
    "verify_webhook",
]
