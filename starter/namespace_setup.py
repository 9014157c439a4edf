"""`tidings setup-namespace`: the namespace (created with its retention when missing) and Tidings'
search attributes on a self-hosted cluster. The dev server gets both at start; on Temporal Cloud the
namespace comes from the Cloud console or `tcld`, and this only adds the search attributes."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.search_attributes import ALL_KEYS


async def ensure_namespace(client: Client, namespace: str, retention: timedelta) -> bool:
    """Create the namespace unless it exists; True when it was created."""
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
        return False
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    request = RegisterNamespaceRequest(namespace=namespace)
    request.workflow_execution_retention_period.FromTimedelta(retention)
    try:
        await client.workflow_service.register_namespace(request)
    except RPCError as exc:
        if exc.status != RPCStatusCode.ALREADY_EXISTS:  # another setup job won the race
            raise
        return False
    return True


async def ensure_search_attributes(client: Client, namespace: str, timeout: float = 120.0) -> list[str]:
    """Register the search attributes the namespace lacks; the names added. A namespace just created
    reaches every frontend's cache a few seconds later, so NOT_FOUND is waited out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            existing = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            )
            wanted = {
                key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
                for key in ALL_KEYS
                if key.name not in existing.custom_attributes
            }
            if wanted:
                await client.operator_service.add_search_attributes(
                    AddSearchAttributesRequest(namespace=namespace, search_attributes=wanted)
                )
            return sorted(wanted)
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.UNAVAILABLE):
                raise
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)
