"""Standard Webhooks signatures as BigCommerce sends them, and the custom-header alternative."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from connectors.bigcommerce.signature import sign_webhook, verify_webhook
from connectors.errors import WebhookAuthError

SECRET = "bc-client-secret-xyz"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BODY = (
    b'{"scope":"store/order/statusUpdated","store_id":"1025646","data":{"type":"order","id":250,'
    b'"status":{"previous_status_id":11,"new_status_id":2}},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d",'
    b'"created_at":1561482670,"producer":"stores/abc123"}'
)


def signed(at: datetime = NOW, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return sign_webhook(body, client_secret=secret, msg_id="msg_2mXo1", timestamp=at)


def verify(headers: dict[str, str], body: bytes = BODY, **overrides: object) -> None:
    options: dict[str, object] = {
        "client_secret": SECRET,
        "header_name": "X-Tidings-Secret",
        "header_secret": None,
        "now": NOW,
    }
    options.update(overrides)
    verify_webhook(headers, body, **options)  # type: ignore[arg-type]


def test_sign_webhook_headers_shape() -> None:
    headers = signed()
    assert headers["webhook-id"] == "msg_2mXo1"
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")


def test_sign_webhook_converts_aware_timestamps_instead_of_relabelling() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert signed(at=paris) == signed(at=NOW)


def test_signature_is_hmac_sha256_keyed_with_the_raw_client_secret() -> None:
    # Computed from the spec, not the library: "{id}.{timestamp}.{body}" under the secret's bytes.
    timestamp = str(int(NOW.timestamp()))
    digest = hmac.new(SECRET.encode(), f"msg_2mXo1.{timestamp}.".encode() + BODY, hashlib.sha256).digest()
    assert signed()["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_library_verify_accepts_our_signature() -> None:
    headers = signed(at=datetime.now(UTC))
    Webhook(base64.b64encode(SECRET.encode()).decode()).verify(BODY, headers)


def test_good_signature() -> None:
    verify(signed())


def test_good_signature_within_tolerance_either_way() -> None:
    verify(signed(at=NOW - timedelta(minutes=4, seconds=59)))
    verify(signed(at=NOW + timedelta(minutes=4, seconds=59)))


def test_headers_are_case_insensitive() -> None:
    verify({key.upper(): value for key, value in signed().items()})


def test_starlette_headers_are_accepted() -> None:
    from starlette.datastructures import Headers

    verify(Headers(headers={key.title(): value for key, value in signed().items()}))  # type: ignore[arg-type]


def test_one_of_several_signatures_may_match() -> None:
    headers = signed()
    headers["webhook-signature"] = f"v1,bm90LWl0 v2,whatever junk {headers['webhook-signature']}"
    verify(headers)


def test_tampered_body() -> None:
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify(signed(), body=BODY.replace(b'"new_status_id":2', b'"new_status_id":10'))


def test_wrong_secret() -> None:
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify(signed(secret="someone-elses-secret"))


def test_garbage_signature_is_a_mismatch_not_a_crash() -> None:
    headers = signed()
    headers["webhook-signature"] = "v1,%%%not-base64%%% nocomma"
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify(headers)


def test_stale_timestamp() -> None:
    with pytest.raises(WebhookAuthError, match="timestamp too old"):
        verify(signed(at=NOW - timedelta(minutes=5, seconds=1)))


def test_future_timestamp() -> None:
    with pytest.raises(WebhookAuthError, match="timestamp too far in the future"):
        verify(signed(at=NOW + timedelta(minutes=5, seconds=1)))


def test_replayed_request_with_rewritten_timestamp_fails() -> None:
    headers = signed(at=NOW - timedelta(hours=1))
    headers["webhook-timestamp"] = str(int(NOW.timestamp()))
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify(headers)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp"])
def test_missing_id_or_timestamp(missing: str) -> None:
    headers = signed()
    del headers[missing]
    with pytest.raises(WebhookAuthError, match=f"missing {missing} header"):
        verify(headers)


def test_non_numeric_timestamp() -> None:
    headers = signed()
    headers["webhook-timestamp"] = "yesterday"
    with pytest.raises(WebhookAuthError, match="not a unix timestamp"):
        verify(headers)


def test_missing_signature() -> None:
    headers = signed()
    del headers["webhook-signature"]
    with pytest.raises(WebhookAuthError, match="missing webhook-signature header"):
        verify(headers)


def test_default_now_is_the_wall_clock() -> None:
    verify_webhook(
        signed(at=datetime.now(UTC)),
        BODY,
        client_secret=SECRET,
        header_name="X-Tidings-Secret",
        header_secret=None,
    )


def test_custom_header_right() -> None:
    verify({"x-tidings-secret": "s3cret"}, client_secret=None, header_secret="s3cret")


def test_custom_header_wrong() -> None:
    with pytest.raises(WebhookAuthError, match="X-Tidings-Secret header does not match"):
        verify({"X-Tidings-Secret": "guess"}, client_secret=None, header_secret="s3cret")


def test_custom_header_used_when_signature_absent_and_both_configured() -> None:
    verify({"X-Tidings-Secret": "s3cret"}, header_secret="s3cret")


def test_bad_signature_is_not_rescued_by_custom_header() -> None:
    headers = signed(secret="wrong") | {"X-Tidings-Secret": "s3cret"}
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify(headers, header_secret="s3cret")


def test_signature_without_client_secret_falls_back_to_custom_header() -> None:
    verify(signed() | {"X-Tidings-Secret": "s3cret"}, client_secret=None, header_secret="s3cret")


def test_custom_header_missing() -> None:
    with pytest.raises(WebhookAuthError, match="missing X-Tidings-Secret header"):
        verify({}, client_secret=None, header_secret="s3cret")


def test_nothing_sent_with_both_configured_names_both() -> None:
    with pytest.raises(WebhookAuthError, match="missing webhook-signature header \\(or X-Tidings-Secret"):
        verify({}, header_secret="s3cret")


@pytest.mark.parametrize("client_secret", [None, ""])
def test_not_configured(client_secret: str | None) -> None:
    with pytest.raises(WebhookAuthError, match="webhook secret not configured"):
        verify(signed(), client_secret=client_secret, header_secret=None)
