"""The sandbox's Service Cloud org: `GET /services/data/{version}/query?q=SOQL` (SELECT … FROM Case
WHERE CaseNumber = '…', SELECT … FROM CaseComment WHERE ParentId = '…') and
`POST /services/data/{version}/sobjects/CaseComment`; errors as Salesforce's list of
`{errorCode, message}`. One org for every site: a case number seeded twice (two sites) resolves to
the case seeded last.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.sfcc_state import OrgAuth, State, now, salesforce_error

# Untagged: `sfcc_api.router` includes this and gives every route its "SFCC" tag.
router = APIRouter()

SERVICE_CLOUD = "/services/data/{version}"


# ---- Service Cloud ------------------------------------------------------------------------------

_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>Case|CaseComment)\s+"
    r"WHERE\s+(?P<field>CaseNumber|ParentId)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*$",
    re.IGNORECASE,
)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@router.get(f"{SERVICE_CLOUD}/query", dependencies=[OrgAuth])
async def soql(version: str, q: str, state: State) -> dict[str, Any]:
    """`SELECT <fields> FROM Case WHERE CaseNumber = '…'` or `FROM CaseComment WHERE ParentId = '…'`."""
    parsed = _SOQL.match(q)
    if parsed is None:
        raise salesforce_error(400, "MALFORMED_QUERY", f"The sandbox cannot run this query: {q}")
    fields = [f.strip() for f in parsed["fields"].split(",") if f.strip()]
    value = _unescape(parsed["value"])
    if parsed["object"].lower() == "case":
        matching = [c for c in state.cases.values() if c.get("CaseNumber") == value][-1:]
        kind = "Case"
    else:
        matching = [c for c in state.comments if c.get("ParentId") == value]
        kind = "CaseComment"
    records = [
        {
            "attributes": {"type": kind, "url": f"/services/data/{version}/sobjects/{kind}/{r['Id']}"},
            **{f: r.get(f) for f in fields},
        }
        for r in matching
    ]
    return {"totalSize": len(records), "done": True, "records": records}


@router.post(f"{SERVICE_CLOUD}/sobjects/CaseComment", dependencies=[OrgAuth])
async def create_case_comment(request: Request, version: str, state: State) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise salesforce_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON.") from None
    parent = body.get("ParentId") if isinstance(body, dict) else None
    text = body.get("CommentBody") if isinstance(body, dict) else None
    if not isinstance(parent, str) or parent not in state.cases:
        raise salesforce_error(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id: ParentId")
    if not isinstance(text, str) or not text.strip():
        raise salesforce_error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [CommentBody]")
    comment = {
        "Id": f"00a{uuid.uuid4().hex[:15]}",
        "ParentId": parent,
        "CommentBody": text,
        "IsPublished": bool(body.get("IsPublished", False)),
        "CreatedDate": now(),
    }
    state.comments.append(comment)
    return JSONResponse({"id": comment["Id"], "success": True, "errors": []}, status_code=201)
