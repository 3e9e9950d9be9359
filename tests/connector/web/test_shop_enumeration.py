"""From outside, shops can't be counted: customer-facing links name a shop by a random handle, a number
answers only for a shop from before handles (by redirect, so links already sent keep working), and a
WooCommerce ping for an unknown shop answers as one for a known shop does."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import update

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import Shop
from tests.support import AUTH

PING = {"data": b"webhook_id=31", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def test_a_shop_answers_at_its_handle_and_not_at_its_number(client: FlaskClient, woo_shop: Shop) -> None:
    assert re.fullmatch(r"[\w-]{12}", woo_shop.handle) and not woo_shop.handle.isdigit()
    assert client.get(f"/rewards/{woo_shop.handle}").status_code == 200
    for path in ("/rewards/{}", "/rewards/{}/launcher.js", "/r/{}/anything", "/unsubscribe/{}?e=a@b.c&t=00"):
        mine, unknown = client.get(path.format(woo_shop.id)), client.get(path.format(woo_shop.id + 1000))
        assert mine.status_code == unknown.status_code == 404
        assert mine.get_data() == unknown.get_data()


def test_a_shop_from_before_handles_still_answers_at_its_number_by_redirect(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    with storage.session() as session:  # as migration 0021 marks the shops that existed before it
        session.execute(update(Shop).where(Shop.id == woo_shop.id).values(answers_at_id=True))
    old = client.get(f"/rewards/{woo_shop.id}?lang=tr")
    assert (old.status_code, old.headers["Location"]) == (308, f"/rewards/{woo_shop.handle}?lang=tr")
    launcher = client.get(f"/rewards/{woo_shop.id}/launcher.js")
    assert launcher.headers["Location"] == f"/rewards/{woo_shop.handle}/launcher.js"
    assert client.get(old.headers["Location"]).status_code == 200
    assert client.get(f"/rewards/{woo_shop.id + 1000}").status_code == 404


def test_the_command_line_and_the_api_give_each_shops_links(client: FlaskClient, woo_shop: Shop) -> None:
    rewards = f"http://127.0.0.1:8000/rewards/{woo_shop.handle}"
    [listed] = json.loads(CliRunner().invoke(main, ["shops", "list", "--json"]).output)
    assert (listed["rewards_url"], listed["launcher_url"]) == (rewards, rewards + "/launcher.js")
    assert f"rewards page {rewards}" in CliRunner().invoke(main, ["shops", "list"]).output
    [shown] = client.get("/admin/api/shops", headers=AUTH).get_json()["shops"]
    assert (shown["rewards_url"], shown["launcher_url"]) == (rewards, rewards + "/launcher.js")
    added = CliRunner().invoke(
        main, ["shops", "add", "woocommerce", "https://other.example.com", "--consumer-key", "ck_y",
               "--consumer-secret", "cs_y", "--webhook-secret", "s3cret"],
    )  # fmt: skip
    created = json.loads(added.output)
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/rewards/[\w-]{12}", created["rewards_url"]), added.output
    assert created["launcher_url"] == created["rewards_url"] + "/launcher.js"


def test_a_woocommerce_ping_answers_alike_for_a_known_and_an_unknown_shop(client: FlaskClient, woo_shop: Shop) -> None:
    known = client.post(f"/webhooks/woocommerce/{woo_shop.id}", **PING)
    unknown = client.post(f"/webhooks/woocommerce/{woo_shop.id + 1000}", **PING)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
