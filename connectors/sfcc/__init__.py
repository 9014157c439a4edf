"""Salesforce B2C Commerce (SFCC): our signed webhook envelope and Order Management platform events
(verify + parse), the order status table, and the OCAPI / Service Cloud client."""

from connectors.sfcc.client import SfccApiConfig, SfccClient
from connectors.sfcc.signature import sign_webhook, verify_webhook
from connectors.sfcc.status_map import STAGE_RULES, OrderFacts, PickupMethods, stage_for
from connectors.sfcc.webhooks import EVENT_TYPES, SCHEMA, parse_webhook, peek_site_id

__all__ = [
    "EVENT_TYPES",
    "SCHEMA",
    "STAGE_RULES",
    "OrderFacts",
    "PickupMethods",
    "SfccApiConfig",
    "SfccClient",
    "parse_webhook",
    "peek_site_id",
    "sign_webhook",
    "stage_for",
    "verify_webhook",
]
