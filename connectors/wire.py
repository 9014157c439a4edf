"""Reading a platform's JSON with pydantic, whichever the platform: the base model, the validators
that even out how platforms write "nothing", ids and dates, and the error text naming field paths.

Field names stay in each connector's own models; only what means the same everywhere is here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError


class Wire(BaseModel):
    """A foreign document as we read it: read-only, and unknown fields ignored (platforms add fields
    without notice, merchants add their own)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def blank_to_none(value: object) -> object:
    # Platforms write "" (or spaces) for "not set" in many string fields.
    return None if isinstance(value, str) and not value.strip() else value


def id_text(value: object) -> object:
    # We carry every id as a string; a platform (or a merchant's script) may send an integer. bool is
    # an int in Python: it is left as it is, for the field's own validation to refuse.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str | None, BeforeValidator(blank_to_none)]


def aware(moment: datetime) -> datetime:
    """`moment` with a time zone: a naive time is taken as UTC, the platforms' clock."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 date-time (a trailing "Z" included) as an aware datetime; None when `value` is
    not one."""
    if not isinstance(value, str):
        return None
    try:
        return aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def full_name(*parts: str | None) -> str | None:
    """The parts that are set, joined by spaces; None when none is."""
    return " ".join(part for part in parts if part) or None


def first_amount(*amounts: Decimal | None) -> Decimal:
    """The first amount that is given; 0 when none is."""
    return next((amount for amount in amounts if amount is not None), Decimal(0))


def unit_price(base: Decimal | None, line_total: Decimal | None, quantity: Decimal | int) -> Decimal:
    """One unit's price: the base price when given, else the line's total over its quantity, else 0."""
    if base is not None:
        return base
    if line_total is not None and quantity:
        return line_total / quantity
    return Decimal(0)


def field_path(root: str, loc: tuple[int | str, ...]) -> str:
    """`root` and a pydantic error location as a JSON path: `$.data.items[0].id`, `entries[1]`."""
    path = root
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else (f"{path}.{part}" if path else str(part))
    return path or "body"


def describe(exc: ValidationError, root: str = "", *, limit: int | None = None) -> str:
    """Each problem by its field path below `root` ("data.id is missing", "items[0].qty: Input
    should be a valid integer"), joined by "; ". With `limit`, the first so many only."""
    problems = []
    for error in exc.errors(include_url=False):
        path = field_path(root, error["loc"])
        problems.append(f"{path} is missing" if error["type"] == "missing" else f"{path}: {error['msg']}")
    return "; ".join(problems[:limit])
