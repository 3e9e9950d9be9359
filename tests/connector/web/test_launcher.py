"""The launcher script a merchant pastes into any site: the shop's colour, language and offer, small, and it
sets no cookie and names no one else's server."""

from __future__ import annotations

import gzip
import json
import re
import time

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.rewards import sign_in
from connector.ops.shops import change_settings, register_shop
from tests.connector.web.test_rewards_page import API, JOHN, member_shop  # noqa: F401  (the fixture)
from tests.support import customer_json

MAX_GZIPPED = 15 * 1024


@pytest.fixture
def woo_other(storage: Storage, config: object) -> Shop:
    """A second store on the same Sadakat."""
    return register_shop(storage, config, "sandbox", "other-shop", {}, "secret-other")  # type: ignore[arg-type]


def config(script: str) -> dict:
    call = script.rsplit("\nsadakatLauncher(", 1)
    assert len(call) == 2 and call[1].endswith(");\n"), "the script doesn't start the launcher"
    return json.loads(call[1].removesuffix(");\n"))


def test_the_script_carries_the_shops_colour_language_and_offer(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"colour": "#1d4ed8", "locale": "tr", "earn_rate": "2"})
    answer = client.get(f"/rewards/{woo_shop.handle}/launcher.js?position=left")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert "Set-Cookie" not in answer.headers
    settings = config(answer.get_data(as_text=True))
    assert settings["colour"] == "#1d4ed8" and settings["position"] == "left"
    assert settings["label"] == "Ödüller" and settings["see"] == "Ödüllerimi gör"
    assert settings["page"].endswith(f"/rewards/{woo_shop.handle}?lang=tr")
    assert any("2 puan" in line for line in settings["summary"])
    english = config(client.get(f"/rewards/{woo_shop.handle}/launcher.js?lang=en").get_data(as_text=True))
    assert english["label"] == "Rewards"
    assert client.get("/rewards/12345/launcher.js").status_code == 404


def test_the_script_is_small_and_calls_no_one(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    script = client.get(f"/rewards/{woo_shop.handle}/launcher.js").get_data()
    assert len(gzip.compress(script)) <= MAX_GZIPPED
    code = script.decode().rsplit("sadakatLauncher(", 1)[0]
    assert not re.search(r"https?://", code)  # only the page link in its settings leaves for our host
    assert "document.cookie" not in code and "localStorage" not in code


def test_text_from_the_shop_cannot_close_the_script(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    with storage.session() as session:
        session.get(Shop, woo_shop.id).domain = "</script><script>alert(1)</script>"  # type: ignore[union-attr]
    change_settings(storage, woo_shop.id, {"gifts": [{"rule": "first_order", "value": "5"}]})
    script = client.get(f"/rewards/{woo_shop.handle}/launcher.js").get_data(as_text=True)
    assert "</script>" not in script


def _signed(shop: Shop, storage: Storage, customer: str, at: int | None = None) -> dict[str, str]:
    with storage.session() as session:
        key = session.get(Shop, shop.id).customer_api_key  # type: ignore[union-attr]
    ts = str(int(time.time()) if at is None else at)
    return {"customer": customer, "ts": ts, "sig": sign_in.store_signature(key, shop.id, customer, ts)}


def test_a_signed_customer_gets_their_own_panel_and_redeems_from_it(
    client: FlaskClient,
    member_shop: Shop,  # noqa: F811
    storage: Storage,
) -> None:
    """On a non-Shopify site the launcher showed programme text only, even to a signed-in member."""
    base = f"/rewards/{member_shop.handle}/launcher"
    settings = config(client.get(f"/rewards/{member_shop.handle}/launcher.js?lang=en").get_data(as_text=True))
    assert settings["session"].endswith(f"{base}/session") and settings["words"]["confirm_yes"] == "Yes, redeem"
    assert [place["name"] for place in settings["share"]] == ["WhatsApp", "Facebook", "X", "E-mail"]

    customer = customer_json(client, member_shop, JOHN)["customer"]["id"]
    signature = _signed(member_shop, storage, customer)
    preflight = client.options(f"{base}/session", headers={"Origin": "https://woo.example.com"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    answer = client.post(f"{base}/session", json=signature)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    token = answer.get_json()["token"]
    assert client.post(f"{base}/session", json=signature).status_code == 401  # once only

    bearer = {"Authorization": f"Bearer {token}"}
    view = client.get(f"{base}/me?lang=tr", headers=bearer).get_json()
    assert view["points"] == 1080 and view["member"]["tier"] == "Silver"
    assert view["member"]["options"][0] == {"points": 500, "value": "$5,00"}
    assert view["referral_url"].startswith("http") and f"/r/{member_shop.handle}/" in view["referral_url"]
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    redeemed = client.post(f"{base}/redeem", json={"points": 500, "key": "launcher-1"}, headers=bearer)
    assert redeemed.status_code == 201 and redeemed.get_json()["balance"] == 580
    again = client.post(f"{base}/redeem", json={"points": 500, "key": "launcher-1"}, headers=bearer)
    assert again.status_code == 200 and again.get_json()["code"] == redeemed.get_json()["code"]
    codes = client.get(f"{base}/me", headers=bearer).get_json()["member"]["codes"]
    assert [c["code"] for c in codes] == [redeemed.get_json()["code"]]


def test_the_launchers_signature_is_checked_and_its_token_opens_one_shop_only(
    client: FlaskClient,
    member_shop: Shop,  # noqa: F811
    storage: Storage,
    woo_other: Shop,
) -> None:
    base = f"/rewards/{member_shop.handle}/launcher"
    customer = customer_json(client, member_shop, JOHN)["customer"]["id"]
    stale = _signed(member_shop, storage, customer, int(time.time()) - 600)
    assert client.post(f"{base}/session", json=stale).status_code == 401
    forged = _signed(member_shop, storage, customer) | {"sig": "0" * 64}
    refused = client.post(f"{base}/session", json=forged)
    assert refused.status_code == 401 and "5 minutes" in refused.get_json()["error"]
    other_customer = _signed(member_shop, storage, "99999")
    assert client.post(f"{base}/session", json=other_customer).get_json() == {"token": None, "expires_in": None}
    assert client.post(f"{base}/session", json={"customer": 1}).status_code == 400
    assert client.post(f"{base}/session", data="x").status_code == 400

    token = client.post(f"{base}/session", json=_signed(member_shop, storage, customer)).get_json()["token"]
    other = f"/rewards/{woo_other.handle}/launcher/me"
    assert client.get(other, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get(f"{base}/me").status_code == 401
    assert client.get(f"{base}/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.post(f"{base}/redeem", json={"points": 500}, headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_launchers_json_answers_json_even_when_no_type_is_asked_for(client: FlaskClient) -> None:
    answer = client.get("/rewards/nothing-here/launcher/me", headers={"Accept": "*/*"})
    assert answer.status_code == 404 and answer.is_json
