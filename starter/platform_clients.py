"""The platform clients a worker uses, one per platform. Each finds a store's API root and
credentials in the stores file (`TIDINGS_STORES_FILE`), or falls back to the global settings."""

from __future__ import annotations

import httpx

from activities.platforms import PlatformClients
from connectors.bigcommerce.client import BigCommerceClient
from connectors.sap_commerce.client import SapApiConfig, SapCommerceClient
from connectors.sfcc.client import SfccApiConfig, SfccClient
from domain.events import Platform
from domain.settings import Settings


def platform_clients(http: httpx.AsyncClient, settings: Settings) -> PlatformClients:
    def sfcc(site: str) -> SfccApiConfig:
        store = settings.store_config(Platform.SFCC, site)
        return SfccApiConfig(
            base_url=(store and store.api_url) or settings.sfcc_api_url,
            client_id=(store and store.api_client_id) or settings.sfcc_client_id,
            client_secret=(store and store.api_client_secret) or settings.sfcc_client_secret,
            token_url=(store and store.token_url) or settings.sfcc_token_url,
            service_cloud_url=(store and store.service_cloud_url) or settings.sfcc_service_cloud_url,
        )

    def sap(site: str) -> SapApiConfig:
        store = settings.store_config(Platform.SAP_COMMERCE, site)
        return SapApiConfig(
            base_url=(store and store.api_url) or settings.sap_api_url,
            user=(store and store.api_user) or settings.sap_api_user,
            password=(store and store.api_password) or settings.sap_api_password,
            occ_client_id=(store and store.api_client_id) or settings.sap_occ_client_id,
            occ_client_secret=(store and store.api_client_secret) or settings.sap_occ_client_secret,
            cart_url=settings.sap_cart_url,
        )

    bigcommerce_url = settings.bigcommerce_api_url
    return {
        Platform.BIGCOMMERCE: BigCommerceClient(http, bigcommerce_url, settings.bigcommerce_token),
        Platform.SFCC: SfccClient(http, sfcc),
        Platform.SAP_COMMERCE: SapCommerceClient(http, sap),
    }
