"""SAP Commerce Cloud: webhook authenticity and parsing (`webhookservices` integration-object JSON),
status mapping, content fingerprints, and the Integration API / OCC client."""

from connectors.sap_commerce.auth import verify_request
from connectors.sap_commerce.client import SapApiConfig, SapCommerceClient
from connectors.sap_commerce.status_map import (
    CONSIGNMENT_STATUS_STAGES,
    ORDER_STATUS_STAGES,
    RETURN_STATUS_CASES,
    order_stage,
)
from connectors.sap_commerce.webhooks import parse_webhook, peek_site

__all__ = [
    "CONSIGNMENT_STATUS_STAGES",
    "ORDER_STATUS_STAGES",
    "RETURN_STATUS_CASES",
    "SapApiConfig",
    "SapCommerceClient",
    "order_stage",
    "parse_webhook",
    "peek_site",
    "verify_request",
]
