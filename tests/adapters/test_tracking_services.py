"""Each tracking service's webhooks: verified the way the service signs, read from its documented samples,
and every status it documents mapped onto ours."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters import get_tracking_service, tracking_services
from adapters.aftership.webhooks import SUBTAGS, TAGS
from adapters.base import PayloadError
from adapters.easypost.webhooks import STATUSES as EASYPOST_STATUSES
from adapters.seventeen_track.webhooks import STATUSES as SEVENTEEN_STATUSES
from adapters.seventeen_track.webhooks import SUB_STATUSES
from adapters.shippo.webhooks import STATUSES as SHIPPO_STATUSES
from adapters.shippo.webhooks import SUBSTATUSES
from adapters.tracking_base import CarrierCredentials
from connector.model import TRACKING_STATUSES
from tests.support import fixture

SECRET = "whsec_test_4f9c2b7a1e"
NOW = time.time()  # for checks that don't depend on the clock


def signed(service: str, body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """The headers each service sends, signed as it documents (Shippo's at ``at``, by default now)."""
    if service == "aftership":
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return {"aftership-hmac-sha256": digest}
    if service == "easypost":
        return {"X-Hmac-Signature": "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if service == "shippo":
        stamp = str(int(time.time() if at is None else at))
        digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"Shippo-Auth-Signature": f"t={stamp},v1={digest}"}
    return {"sign": hashlib.sha256(body + b"/" + secret.encode()).hexdigest()}


SAMPLES = {
    "aftership": "tracking/aftership_tracking_update.json",
    "easypost": "tracking/easypost_tracker_updated.json",
    "shippo": "tracking/shippo_track_updated.json",
    "17track": "tracking/17track_tracking_updated.json",
}


def sample(service: str) -> tuple[bytes, dict[str, Any]]:
    payload = fixture(SAMPLES[service])
    return json.dumps(payload).encode(), payload


def verify(service: str, headers: dict[str, str], body: bytes, token: str | None = None, **credentials: Any) -> bool:
    keys = CarrierCredentials(**({"secret": SECRET} | credentials))
    return get_tracking_service(service).verify(headers, body, keys, token, time.time())


@pytest.mark.parametrize("service", SAMPLES)
def test_a_signed_sample_verifies_and_a_wrong_key_or_a_changed_body_does_not(service: str) -> None:
    body, _ = sample(service)
    assert verify(service, signed(service, body), body)
    assert not verify(service, signed(service, body, secret="another-secret"), body)
    changed = body.replace(b'"', b"'", 1)
    assert not verify(service, signed(service, body), changed)
    assert not verify(service, {}, body)
    assert not verify(service, signed(service, body), body, secret=None)


def test_shippo_refuses_a_signature_older_or_newer_than_five_minutes() -> None:
    body, _ = sample("shippo")
    now = time.time()
    assert verify("shippo", signed("shippo", body, at=now - 290), body)
    assert verify("shippo", signed("shippo", body, at=now + 290), body)
    assert not verify("shippo", signed("shippo", body, at=now - 302), body)
    assert not verify("shippo", signed("shippo", body, at=now + 302), body)


def test_shippo_without_signing_takes_the_url_token_but_a_present_signature_must_still_verify() -> None:
    body, _ = sample("shippo")
    keys = CarrierCredentials(secret=None, token="tok-123456789")
    shippo = get_tracking_service("shippo")
    assert shippo.verify({}, body, keys, "tok-123456789", NOW)
    assert not shippo.verify({}, body, keys, "tok-wrong", NOW)
    assert not shippo.verify({}, body, keys, None, NOW)
    bad_signature = signed("shippo", body, secret="not-the-key")
    assert not shippo.verify(bad_signature, body, keys, "tok-123456789", NOW)


def test_easypost_normalises_the_secret_as_its_libraries_do() -> None:
    body, _ = sample("easypost")
    # "ﬁ" (one ligature) is "fi" after NFKD: EasyPost signs with the normalised secret.
    headers = signed("easypost", body, secret="sec-fi-12345")
    assert verify("easypost", headers, body, secret="sec-\ufb01-12345")


def read(service: str, payload: dict[str, Any]) -> Any:
    return get_tracking_service(service).read({}, payload)


def test_aftership_sample_reads_as_in_transit_with_its_checkpoint() -> None:
    _, payload = sample("aftership")
    delivery = read("aftership", payload)
    [news] = delivery.updates
    assert delivery.delivery_id == "94dadd60-ed26-46d0-aa52-3ced925a50ff"
    assert (news.tracking_number, news.status, news.carrier, news.service) == (
        "1Z999AA10123456784",
        "in_transit",
        "ups",
        "aftership",
    )
    assert news.happened_at == datetime(2024, 4, 10, 7, 30, tzinfo=UTC)
    assert news.location == "Louisville, KY, US"
    assert news.estimated_delivery_at == datetime(2024, 4, 12, 18, 0, tzinfo=UTC)
    assert news.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert news.detail == "InTransit / InTransit_007 / Departure Scan"


def test_easypost_sample_reads_as_delivered_in_test_mode() -> None:
    _, payload = sample("easypost")
    delivery = read("easypost", payload)
    [news] = delivery.updates
    assert delivery.delivery_id == "evt_d4b3df2abaea11eea1b8e7f8f4c5ef0e"
    assert (news.tracking_number, news.status, news.carrier, news.test) == ("EZ4000000004", "delivered", "USPS", True)
    assert news.location == "CHARLESTON, SC"
    assert news.happened_at == datetime(2024, 1, 24, 16, 56, 54, tzinfo=UTC)
    assert news.tracking_url is not None and news.tracking_url.startswith("https://track.easypost.com/")


def test_shippo_sample_reads_as_in_transit_in_test_mode() -> None:
    _, payload = sample("shippo")
    delivery = read("shippo", payload)
    [news] = delivery.updates
    assert delivery.delivery_id == "shippo:e1e88c7f08a04ccc8a5ab1b6c7a17a0d"
    assert (news.tracking_number, news.status, news.carrier, news.test) == (
        "9205590164917312751089",
        "in_transit",
        "usps",
        True,
    )
    assert news.location == "Las Vegas, NV, US"
    assert news.estimated_delivery_at == datetime(2017, 9, 5, 12, 0, tzinfo=UTC)


def test_17track_sample_reads_as_in_transit_with_the_carrier_and_window() -> None:
    _, payload = sample("17track")
    [news] = read("17track", payload).updates
    assert (news.tracking_number, news.status, news.carrier) == ("RR123456789CN", "in_transit", "USPS")
    assert news.location == "CHICAGO IL NETWORK DISTRIBUTION CENTER"
    assert news.happened_at == datetime(2022, 3, 3, 2, 36, 29, tzinfo=UTC)
    assert news.estimated_delivery_at == datetime(2022, 3, 7, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("service", "documented"),
    [
        ("aftership", TAGS),
        ("easypost", EASYPOST_STATUSES),
        ("shippo", SHIPPO_STATUSES),
        ("17track", SEVENTEEN_STATUSES),
    ],
)
def test_every_documented_status_maps_to_ours_or_to_nothing_said(service: str, documented: dict) -> None:
    values = {
        "aftership": ["Pending", "InfoReceived", "InTransit", "OutForDelivery", "AttemptFail", "Delivered",
                      "AvailableForPickup", "Exception", "Expired"],
        "easypost": ["unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered", "available_for_pickup",
                     "return_to_sender", "failure", "cancelled", "error"],
        "shippo": ["PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"],
        "17track": ["NotFound", "InfoReceived", "InTransit", "Expired", "AvailableForPickup", "OutForDelivery",
                    "DeliveryFailure", "Delivered", "Exception"],
    }[service]  # fmt: skip
    assert sorted(documented) == sorted(values)
    assert {ours for ours in documented.values() if ours} <= set(TRACKING_STATUSES)


def with_status(service: str, status: str, sub: str | None = None) -> dict[str, Any]:
    _, payload = sample(service)
    if service == "aftership":
        payload["msg"]["tag"], payload["msg"]["subtag"] = status, sub
    elif service == "easypost":
        payload["result"]["status"], payload["result"]["status_detail"] = status, sub
    elif service == "shippo":
        payload["data"]["tracking_status"]["status"] = status
        payload["data"]["tracking_status"]["substatus"] = {"code": sub} if sub else None
    else:
        payload["data"]["track_info"]["latest_status"] = {"status": status, "sub_status": sub}
    return payload


@pytest.mark.parametrize(
    ("service", "status", "sub", "ours"),
    [
        ("aftership", "InfoReceived", "InfoReceived_001", "label_created"),
        ("aftership", "OutForDelivery", "OutForDelivery_003", "out_for_delivery"),
        ("aftership", "AttemptFail", "AttemptFail_002", "attempted_delivery"),
        ("aftership", "AvailableForPickup", "AvailableForPickup_001", "available_for_pickup"),
        ("aftership", "Delivered", "Delivered_002", "delivered"),
        ("aftership", "Exception", "Exception_004", "delayed"),
        ("aftership", "Exception", "Exception_011", "returned"),
        ("aftership", "Exception", "Exception_013", "failure"),
        ("easypost", "pre_transit", "label_created", "label_created"),
        ("easypost", "in_transit", "weather_delay", "delayed"),
        ("easypost", "in_transit", "lost", "failure"),
        ("easypost", "out_for_delivery", "delivery_exception", "attempted_delivery"),
        ("easypost", "return_to_sender", "return", "returned"),
        ("shippo", "TRANSIT", "out_for_delivery", "out_for_delivery"),
        ("shippo", "TRANSIT", "notice_left", "attempted_delivery"),
        ("shippo", "TRANSIT", "pickup_available", "available_for_pickup"),
        ("shippo", "TRANSIT", "package_held", "delayed"),
        ("shippo", "TRANSIT", "package_lost", "failure"),
        ("shippo", "RETURNED", "return_to_sender", "returned"),
        ("shippo", "FAILURE", "package_undeliverable", "failure"),
        ("17track", "InTransit", "InTransit_CustomsRequiringInformation", "delayed"),
        ("17track", "DeliveryFailure", "DeliveryFailure_NoBody", "attempted_delivery"),
        ("17track", "DeliveryFailure", "DeliveryFailure_InvalidAddress", "failure"),
        ("17track", "Exception", "Exception_Returned", "returned"),
        ("17track", "Exception", "Exception_Lost", "failure"),
    ],
)
def test_a_sub_status_that_changes_the_meaning_is_followed(service: str, status: str, sub: str, ours: str) -> None:
    [news] = read(service, with_status(service, status, sub)).updates
    assert news.status == ours


@pytest.mark.parametrize(
    ("service", "status"),
    [
        ("aftership", "Pending"),
        ("aftership", "Expired"),
        ("easypost", "unknown"),
        ("shippo", "UNKNOWN"),
        ("17track", "NotFound"),
    ],
)
def test_a_status_that_says_nothing_yet_is_acknowledged_and_ignored(service: str, status: str) -> None:
    delivery = read(service, with_status(service, status))
    assert delivery.updates == ()
    assert delivery.ignored


def test_other_events_of_a_service_are_ignored_not_refused() -> None:
    _, stopped = sample("17track")
    assert read("17track", {"event": "TRACKING_STOPPED", "data": {"number": "RR123456789CN"}}).ignored
    assert read("aftership", {"event": "tracking_pending_time", "event_id": "x", "msg": {}}).ignored
    assert read("easypost", {"description": "batch.updated", "id": "evt_1", "result": {}}).ignored
    assert read("shippo", {"event": "transaction_created", "data": {}}).ignored
    assert stopped["event"] == "TRACKING_UPDATED"


@pytest.mark.parametrize(
    ("service", "remove", "named"),
    [
        ("aftership", ("msg", "tracking_number"), "msg.tracking_number"),
        ("aftership", ("msg", "tag"), "msg.tag"),
        ("easypost", ("result", "tracking_code"), "result.tracking_code"),
        ("easypost", ("result", "status"), "result.status"),
        ("shippo", ("data", "tracking_number"), "data.tracking_number"),
        ("shippo", ("data", "tracking_status"), "data.tracking_status.status"),
        ("17track", ("data", "number"), "data.number"),
        ("17track", ("data", "track_info"), "data.track_info"),
    ],
)
def test_a_body_not_in_the_services_format_names_what_is_missing(
    service: str, remove: tuple[str, str], named: str
) -> None:
    _, payload = sample(service)
    del payload[remove[0]][remove[1]]
    with pytest.raises(PayloadError, match=named.replace(".", r"\.")):
        read(service, payload)


def test_an_unknown_status_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(PayloadError, match=r"msg\.tag must be one of Pending"):
        read("aftership", with_status("aftership", "Teleported"))


def test_the_registry_lists_the_four_services() -> None:
    assert [s.name for s in tracking_services()] == ["aftership", "easypost", "shippo", "17track"]
    assert SUBTAGS and SUBSTATUSES and SUB_STATUSES
