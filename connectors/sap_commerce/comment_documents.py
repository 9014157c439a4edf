"""`TidingsOrderComment` and `TidingsReturnRequestComment`: the comments Tidings writes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.sap_commerce.item_json import Code, SapCode, SapUid, SapWire, none_to_list
from connectors.wire import Text


class SapCommentUser(SapWire):
    uid: Code


class SapDomainRef(SapWire):
    """A comment's Component or CommentType: a code within a Domain."""

    code: Code
    domain: SapCode | None = None


class SapOrderRef(SapWire):
    """An order as a comment names it: code and base site (its key in the comment IOs)."""

    code: Code
    site: SapUid | None = None


class SapReturnRef(SapWire):
    code: Code
    order: SapOrderRef | None = None


class SapComment(SapWire):
    """What Tidings writes through the inbound IOs `TidingsOrderComment` and
    `TidingsReturnRequestComment` (root `Comment`, attached through `relatedItems`)."""

    code: Code
    text: str
    subject: Text = None
    author: SapCommentUser | None = None
    component: SapDomainRef | None = None
    comment_type: SapDomainRef | None = Field(default=None, alias="commentType")


class SapOrderComment(SapComment):
    related_items: Annotated[list[SapOrderRef], BeforeValidator(none_to_list)] = Field(
        default_factory=list, alias="relatedItems"
    )


class SapReturnComment(SapComment):
    related_items: Annotated[list[SapReturnRef], BeforeValidator(none_to_list)] = Field(
        default_factory=list, alias="relatedItems"
    )
