"""The deploy/sfcc cartridge: its files hang together, and what its scripts send is what Tidings
accepts. The scripts run under Node with stand-ins for the dw.* modules (skipped without Node)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from connectors.sfcc import SCHEMA, parse_webhook, verify_webhook
from connectors.sfcc.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.sfcc.webhooks import EVENT_TYPES
from domain.events import EventType, OrderStage

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "sfcc"
CARTRIDGE = DEPLOY / "cartridges" / "int_tidings"
SCRIPTS = CARTRIDGE / "cartridge" / "scripts"
SECRET = "cartridge-test-secret"
SITE = "RefArch"
NODE = shutil.which("node")

# ---- the files ----------------------------------------------------------------------------------


def hooks() -> list[dict[str, str]]:
    registered: list[dict[str, str]] = json.loads((SCRIPTS / "hooks.json").read_text())["hooks"]
    return registered


def test_package_json_points_at_hooks_json() -> None:
    package = json.loads((CARTRIDGE / "package.json").read_text())
    assert (CARTRIDGE / package["hooks"]).resolve() == (SCRIPTS / "hooks.json").resolve()


def test_every_hook_names_a_script_that_exists() -> None:
    assert hooks(), "hooks.json registers no hooks"
    for hook in hooks():
        assert set(hook) == {"name", "script"}
        assert (SCRIPTS / f"{hook['script']}.js").is_file(), hook


def test_the_checkout_hooks_are_registered() -> None:
    names = {hook["name"] for hook in hooks()}
    assert {"dw.ocapi.shop.order.afterPOST", "app.tidings.order.updated", "app.tidings.basket.track"} <= names


def test_every_event_type_the_scripts_send_is_in_the_schema() -> None:
    sent: set[str] = set()
    for script in SCRIPTS.rglob("*.js"):
        sent |= set(re.findall(r"'((?:order|basket|customer|loyalty)\.[a-z_]+)'", script.read_text()))
    assert sent, "found no event types in the scripts"
    assert sent <= EVENT_TYPES, sent - EVENT_TYPES


def test_the_service_definition_matches_the_script() -> None:
    ns = {"s": "http://www.demandware.com/xml/impex/services/2014-09-26"}
    root = ET.parse(DEPLOY / "services.xml").getroot()
    [service] = root.findall("s:service", ns)
    assert service.get("service-id") == "tidings.webhook"
    assert service.findtext("s:service-type", namespaces=ns) == "HTTP"
    profile = service.findtext("s:profile-id", namespaces=ns)
    credential = service.findtext("s:credential-id", namespaces=ns)
    assert root.find(f"s:service-profile[@service-profile-id='{profile}']", ns) is not None
    found = root.find(f"s:service-credential[@service-credential-id='{credential}']", ns)
    assert found is not None and (found.findtext("s:url", namespaces=ns) or "").endswith("/webhooks/sfcc")
    webhook = (SCRIPTS / "tidings" / "webhook.js").read_text()
    assert "var SERVICE_ID = 'tidings.webhook';" in webhook and "createService(SERVICE_ID," in webhook


def test_the_metadata_defines_what_the_scripts_read() -> None:
    ns = {"m": "http://www.demandware.com/xml/impex/metadata/2006-10-31"}
    meta = ET.parse(DEPLOY / "meta" / "system-objecttype-extensions.xml").getroot()

    def attributes(type_id: str) -> set[str]:
        extension = meta.find(f"m:type-extension[@type-id='{type_id}']", ns)
        assert extension is not None, type_id
        return {a.get("attribute-id", "") for a in extension.iter(f"{{{ns['m']}}}attribute-definition")}

    documents = (SCRIPTS / "tidings" / "documents.js").read_text()

    def listed(name: str) -> set[str]:
        found = re.search(rf"var {name} = \[(.*?)\];", documents, re.S)
        assert found, name
        return set(re.findall(r"'(\w+)'", found.group(1)))

    assert listed("ORDER_ATTRIBUTES") - {"locale"} <= attributes("Order")
    assert listed("SHIPMENT_ATTRIBUTES") <= attributes("Shipment")
    assert {"tidingsWebhookSecret", "tidingsEnabled"} <= attributes("SitePreferences")
    custom = ET.parse(DEPLOY / "meta" / "custom-objecttype-definitions.xml").getroot()
    [basket_type] = custom.findall("m:custom-type", ns)
    assert basket_type.get("type-id") == "TidingsBasket"
    assert "var TYPE = 'TidingsBasket';" in (SCRIPTS / "hooks" / "basketHooks.js").read_text()


def test_the_job_runs_the_registered_step_type() -> None:
    steptypes = json.loads((CARTRIDGE / "steptypes.json").read_text())
    [step] = steptypes["step-types"]["script-module-step"]
    assert (CARTRIDGE.parent / step["module"]).is_file()
    jobs = ET.parse(DEPLOY / "jobs.xml").getroot()
    types = {s.get("type") for s in jobs.iter("{http://www.demandware.com/xml/impex/jobs/2015-07-01}step")}
    assert types == {step["@type-id"]}


# ---- the scripts, run ---------------------------------------------------------------------------

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run(tmp_path: Path, scenario: str, secret: str = SECRET) -> dict[str, Any]:
    assert NODE is not None
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [NODE, str(harness), str(CARTRIDGE), scenario, secret, SITE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)
    return output


def accepted(captured: dict[str, Any]) -> list[Any]:
    """Verify and parse one captured request as the ingress would."""
    assert (captured["service"], captured["method"]) == ("tidings.webhook", "POST")
    body = captured["body"].encode()
    verify_webhook(captured["headers"], body, secret=SECRET)
    parsed = parse_webhook(body)
    assert parsed.ignored is None, parsed.ignored
    return parsed.events


@needs_node
def test_the_scripts_headers_and_envelope_match_the_contract(tmp_path: Path) -> None:
    result = run(tmp_path, "exports")["result"]
    assert result["constants"] == {
        "TIMESTAMP_HEADER": TIMESTAMP_HEADER,
        "SIGNATURE_HEADER": SIGNATURE_HEADER,
        "SERVICE_ID": "tidings.webhook",
        "SECRET_PREFERENCE": "tidingsWebhookSecret",
    }
    assert sorted(result["envelope_keys"]) == sorted(SCHEMA["required"])
    assert all(step["exported"] for step in result["steps"])
    for hook in hooks():
        function = hook["name"].rsplit(".", 1)[-1]
        if hook["name"].startswith("dw.ocapi."):
            assert function in result["functions"][hook["script"]], hook


@needs_node
def test_an_ocapi_checkout_sends_order_created_and_basket_converted(tmp_path: Path) -> None:
    output = run(tmp_path, "checkout")
    assert output["result"]["statuses"] == [0, 0]  # Status.OK: the checkout goes on
    created, converted = output["captured"]
    [event] = accepted(created)
    assert event.type is EventType.ORDER_CREATED and event.store == SITE
    assert event.order is not None and event.order.order_id == "00001234"
    assert (event.order.stage, event.order.platform_status) == (
        OrderStage.PAYMENT_CONFIRMED,
        "new/paid/not_shipped",
    )
    assert (event.customer.customer_id, event.customer.email, event.customer.phone) == (
        "00012",
        "ada@example.com",
        "+14155550101",
    )
    assert event.event_id == "order.created:00001234:1795424401000"  # stable: a second run dedupes
    assert '"email":"***"' in created["logged"] and "ada@example.com" not in created["logged"]
    [cart] = accepted(converted)
    assert cart.type is EventType.CART_CONVERTED and cart.cart is not None
    assert (cart.cart.cart_id, cart.cart.order_id) == ("bk9f2c0ffee", "00001234")


@needs_node
def test_a_shipped_order_update_carries_its_tracking(tmp_path: Path) -> None:
    [request] = run(tmp_path, "shipped")["captured"]
    [event] = accepted(request)
    assert event.type is EventType.ORDER_STATUS_CHANGED and event.order is not None
    assert (event.order.stage, event.order.shipment_id) == (OrderStage.SHIPPED, "me")
    shipment = json.loads(request["body"])["data"]["shipments"][0]
    assert (shipment["tracking_number"], shipment["c_carrier"]) == ("1Z999AA10123456784", "UPS")


@needs_node
def test_a_moved_pickup_window_reaches_the_pickup_journey(tmp_path: Path) -> None:
    [request] = run(tmp_path, "pickup_window")["captured"]
    status, window = accepted(request)
    assert status.order is not None and status.order.stage is OrderStage.AWAITING_PICKUP
    assert window.type is EventType.PICKUP_WINDOW_CHANGED
    assert window.extra["deadline"].startswith("2026-11-27T18:00:00")


@needs_node
def test_account_events_from_the_profile(tmp_path: Path) -> None:
    reset, expiring, changed = run(tmp_path, "customer")["captured"]
    [event] = accepted(reset)
    assert event.type is EventType.PASSWORD_RESET and event.account is not None
    assert (event.account.customer_id, event.account.link) == ("00012", "https://www.example.com/reset/t0k3n")
    assert event.customer.locale == "de_DE"
    [event] = accepted(expiring)
    assert event.type is EventType.PAYMENT_METHOD_EXPIRING and event.account is not None
    assert (
        event.account.detail,
        event.account.expires_at and event.account.expires_at.date().isoformat(),
    ) == (
        "************1111",
        "2028-02-29",
    )
    profile_changed, customer_updated = accepted(changed)
    assert profile_changed.type is EventType.PROFILE_CHANGED
    assert customer_updated.account is not None and customer_updated.account.birthday == "05-17"


@needs_node
def test_the_job_sends_an_idle_basket_once(tmp_path: Path) -> None:
    output = run(tmp_path, "abandoned")
    assert output["result"]["messages"] == [
        "0 abandoned baskets sent, 0 to retry",
        "1 abandoned baskets sent, 0 to retry",
        "0 abandoned baskets sent, 0 to retry",
    ]
    [request] = output["captured"]
    [event] = accepted(request)
    assert event.type is EventType.CART_ABANDONED and event.cart is not None
    assert event.cart.cart_id == "bk9f2c0ffee" and event.customer.email == "ada@example.com"
    data = json.loads(request["body"])["data"]
    assert data["c_checkoutUrl"].endswith("/Cart-Show") and data["order_total"] == 64.9


@needs_node
def test_without_the_secret_preference_nothing_is_sent(tmp_path: Path) -> None:
    output = run(tmp_path, "no_secret", secret="-")
    assert output == {"result": {"sent": False}, "captured": []}


HARNESS = r"""'use strict';
// Runs the int_tidings cartridge's scripts under Node with stand-ins for the dw.* modules they use,
// and prints what they would have sent through the "tidings.webhook" service (tests/test_sfcc_cartridge.py).
// Usage: node sfcc_cartridge_harness.js <cartridge dir> <scenario> <secret> <site id>

const Module = require('module');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [, , cartridge, scenario, secret, site] = process.argv;
const captured = [];
const prefs = { tidingsWebhookSecret: secret === '-' ? null : secret, tidingsEnabled: true };
const customObjects = new Map();

function Status(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
}
Status.OK = 0;
Status.ERROR = 1;

function Mac(algorithm) {
    if (algorithm !== 'HmacSHA256') throw new Error('unexpected MAC algorithm ' + algorithm);
}
Mac.HMAC_SHA_256 = 'HmacSHA256';
// dw.crypto.Mac.digest(String, String): both strings taken as UTF-8.
Mac.prototype.digest = (input, key) =>
    crypto.createHmac('sha256', Buffer.from(String(key), 'utf8')).update(Buffer.from(String(input), 'utf8')).digest();

const stubs = {
    'dw/crypto/Mac': Mac,
    'dw/crypto/Encoding': { toHex: (bytes) => Buffer.from(bytes).toString('hex') },
    'dw/system/Site': {
        getCurrent: () => ({ getID: () => site, getCustomPreferenceValue: (name) => (name in prefs ? prefs[name] : null) }),
    },
    'dw/system/Logger': {
        getLogger: () => ({ debug() {}, info() {}, warn() {}, error: (...args) => process.stderr.write(args.join(' ') + '\n') }),
    },
    'dw/system/Status': Status,
    'dw/system/Transaction': { wrap: (fn) => fn() },
    'dw/util/UUIDUtils': { createUUID: () => crypto.randomUUID().replace(/-/g, '') },
    'dw/web/URLUtils': {
        https: (action) => ({ toString: () => `https://www.example.com/on/demandware.store/Sites-${site}-Site/default/${action}` }),
    },
    'dw/object/CustomObjectMgr': {
        getCustomObject: (type, key) => customObjects.get(`${type}:${key}`) || null,
        createCustomObject: (type, key) => {
            const object = { type, custom: { basketId: key } };
            customObjects.set(`${type}:${key}`, object);
            return object;
        },
        remove: (object) => customObjects.delete(`${object.type}:${object.custom.basketId}`),
        queryCustomObjects: (type, query, sort, notified, cutoff) => {
            if (query !== 'custom.notified != {0} AND custom.lastActivity < {1}') throw new Error('unexpected query ' + query);
            const hits = [...customObjects.values()].filter(
                (o) => o.type === type && o.custom.notified !== notified && o.custom.lastActivity < cutoff
            );
            let next = 0;
            return { hasNext: () => next < hits.length, next: () => hits[next++], close() {} };
        },
    },
    'dw/svc/LocalServiceRegistry': {
        createService: (id, callbacks) => ({
            call(args) {
                const svc = {
                    method: 'GET',
                    headers: {},
                    setRequestMethod(method) { this.method = method; },
                    addHeader(name, value) { this.headers[name] = value; },
                };
                const body = callbacks.createRequest(svc, args);
                captured.push({ service: id, method: svc.method, headers: svc.headers, body, logged: callbacks.filterLogMessage(body) });
                return { ok: true, status: 'OK', object: callbacks.parseResponse(svc, { statusCode: 202 }) };
            },
        }),
    },
};

const load = Module._load;
Module._load = function (request, parent, isMain) {
    if (Object.prototype.hasOwnProperty.call(stubs, request)) return stubs[request];
    if (request.startsWith('dw/')) throw new Error('the harness has no stand-in for ' + request);
    return load.call(this, request, parent, isMain);
};
global.request = { custom: {} }; // dw.system.Request, as hooks see it

const scripts = path.join(cartridge, 'cartridge', 'scripts');
const script = (name) => require(path.join(scripts, name));
const list = (items) => ({ toArray: () => items.slice(), size: () => items.length, length: items.length });
const money = (value) => ({ value, available: true, currencyCode: 'USD' });
const address = { firstName: 'Ada', lastName: 'Lovelace', phone: '+14155550101', city: 'San Francisco', countryCode: { value: 'US' } };

function lineItems() {
    return list([
        { UUID: 'pli-1', productID: 'MUG-1', productName: 'Mug', quantity: { value: 2 }, basePrice: money(29.95), price: money(59.9), custom: {} },
    ]);
}

function order(overrides) {
    return Object.assign(
        {
            orderNo: '00001234',
            status: { value: 3 },
            shippingStatus: { value: 0 },
            paymentStatus: { value: 2 },
            confirmationStatus: { value: 0 },
            customerNo: '00012',
            customer: { ID: 'abcLq0rCNpBvTg3wJNTiQ2wZ1e' },
            customerEmail: 'ada@example.com',
            customerName: 'Ada Lovelace',
            customerLocaleID: 'en_US',
            billingAddress: address,
            productLineItems: lineItems(),
            shipments: list([
                { ID: 'me', shippingMethodID: '001-ground', shippingMethod: { displayName: 'Ground' }, trackingNumber: null, shippingAddress: address, custom: {} },
            ]),
            merchandizeTotalGrossPrice: money(59.9),
            totalGrossPrice: money(59.9),
            currencyCode: 'USD',
            creationDate: new Date('2026-11-23T09:00:00Z'),
            lastModified: new Date('2026-11-23T09:00:01Z'),
            custom: {},
        },
        overrides || {}
    );
}

function basket() {
    return {
        UUID: 'bk9f2c0ffee',
        customerNo: '00012',
        customer: { ID: 'abcLq0rCNpBvTg3wJNTiQ2wZ1e' },
        customerEmail: 'ada@example.com',
        customerName: 'Ada Lovelace',
        productLineItems: lineItems(),
        merchandizeTotalGrossPrice: money(59.9),
        totalGrossPrice: money(64.9),
        currencyCode: 'USD',
        lastModified: new Date(),
    };
}

const profile = {
    customerNo: '00012',
    customer: { ID: 'abcLq0rCNpBvTg3wJNTiQ2wZ1e' },
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    phoneMobile: '+14155550101',
    preferredLocale: 'de_DE',
    birthday: new Date('1990-05-17T00:00:00Z'),
    wallet: {
        paymentInstruments: list([
            { creditCardExpirationMonth: 2, creditCardExpirationYear: 2028, maskedCreditCardNumber: '************1111' },
            { paymentMethod: 'PayPal' },
        ]),
    },
};

const scenarios = {
    // What the cartridge exports, for the static checks.
    exports() {
        const hooks = JSON.parse(fs.readFileSync(path.join(scripts, 'hooks.json'), 'utf8')).hooks;
        const functions = {};
        for (const hook of hooks) {
            const exported = script(hook.script);
            functions[hook.script] = Object.keys(exported).filter((key) => typeof exported[key] === 'function');
        }
        const steptypes = JSON.parse(fs.readFileSync(path.join(cartridge, 'steptypes.json'), 'utf8'));
        const steps = steptypes['step-types']['script-module-step'].map((step) => {
            const module = require(path.join(cartridge, '..', step.module));
            return { module: step.module, function: step.function, exported: typeof module[step.function] === 'function' };
        });
        const webhook = script('tidings/webhook');
        return {
            functions,
            steps,
            constants: {
                TIMESTAMP_HEADER: webhook.TIMESTAMP_HEADER,
                SIGNATURE_HEADER: webhook.SIGNATURE_HEADER,
                SERVICE_ID: webhook.SERVICE_ID,
                SECRET_PREFERENCE: webhook.SECRET_PREFERENCE,
            },
            envelope_keys: Object.keys(webhook.envelope('order.created', site, {})),
        };
    },
    checkout() {
        const hooks = script('hooks/orderHooks');
        const before = hooks.beforePOST(basket());
        const after = hooks.afterPOST(order());
        return { statuses: [before.status, after.status] };
    },
    shipped() {
        const tracked = order({
            status: { value: 4 },
            shippingStatus: { value: 2 },
            confirmationStatus: { value: 2 },
            shipments: list([
                {
                    ID: 'me',
                    shippingMethodID: '001-ground',
                    shippingMethod: { displayName: 'Ground' },
                    trackingNumber: '1Z999AA10123456784',
                    shippingAddress: address,
                    custom: { carrier: 'UPS', trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' },
                },
            ]),
        });
        return { sent: script('hooks/orderHooks').updated(tracked) };
    },
    pickup_window() {
        const ready = order({
            status: { value: 4 },
            confirmationStatus: { value: 2 },
            shipments: list([
                { ID: 'me', shippingMethodID: 'BOPIS-store-pickup', shippingMethod: { displayName: 'Pick up in store' }, trackingNumber: null, shippingAddress: null, custom: { fromStoreId: 'store-0042' } },
            ]),
            custom: {
                pickupReady: true,
                pickupWindowEnd: new Date('2026-11-27T18:00:00Z'),
                previousPickupWindowEnd: new Date('2026-11-25T18:00:00Z'),
                deliveryStatus: null,
            },
        });
        return { sent: script('hooks/orderHooks').updated(ready) };
    },
    customer() {
        const hooks = script('hooks/customerHooks');
        return {
            sent: [
                hooks.send('customer.password_reset', profile, { c_link: 'https://www.example.com/reset/t0k3n' }),
                hooks.send('customer.payment_method_expiring', profile),
                hooks.send('customer.profile_changed', profile, { c_change: 'birthday' }),
            ],
        };
    },
    abandoned() {
        const baskets = script('hooks/basketHooks');
        const job = script('jobs/abandonedBaskets');
        const cart = basket();
        baskets.afterPOST(cart);
        const first = job.execute({ AbandonedAfterMinutes: 60 }); // not idle long enough yet
        customObjects.get(`TidingsBasket:${cart.UUID}`).custom.lastActivity = new Date(Date.now() - 61 * 60 * 1000);
        const second = job.execute({ AbandonedAfterMinutes: 60 });
        const third = job.execute({ AbandonedAfterMinutes: 60 }); // sent once only
        return { messages: [first.message, second.message, third.message] };
    },
    no_secret() {
        return { sent: script('hooks/orderHooks').updated(order()) };
    },
};

const result = scenarios[scenario]();
process.stdout.write(JSON.stringify({ result, captured }));
"""  # noqa: E501
