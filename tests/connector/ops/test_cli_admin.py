"""The admin's command line: remove a shop, replay events, list them, export the ledger, and the doctor."""

from __future__ import annotations

import csv
import io
import json

import responses
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop, WebhookEvent
from tests.support import (
    drain,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
    shopify_headers,
    worker_and_scheduler_registered,
)

API = "https://woo.example.com/wp-json/wc/v3"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_shops_remove_asks_then_deletes_everything_of_that_shop_only(
    client: FlaskClient, offline_shopify_shop: Shop, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    code, output = run("shops", "remove", str(offline_shopify_shop.id), stdin="n\n")
    assert code == 1
    assert "Aborted" in output
    code, output = run("shops", "remove", str(offline_shopify_shop.id), "--yes")
    assert (code, output.strip()) == (0, f"shop {offline_shopify_shop.id} (sadakat-test.myshopify.com) removed")
    with storage.session() as session:
        assert session.get(Shop, offline_shopify_shop.id) is None
        assert session.get(Shop, woo_shop.id) is not None
        assert session.query(LedgerEntry).count() == 0
        assert session.query(CustomerRecord).count() == 0
    assert run("shops", "remove", "999", "--yes") == (1, "Error: no shop 999\n")


def test_replay_reruns_failed_events_and_says_which_it_could_not(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", {"id": "x", "line_items": "none"})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        failed, processed = [e.id for e in session.query(WebhookEvent).order_by(WebhookEvent.id)]
    code, output = run("replay", "--shop", str(offline_shopify_shop.id), "--json")
    assert (code, json.loads(output)) == (0, {"queued": [failed], "refused": {}})
    drain(redis)

    # A processed event chosen by id runs again and adds nothing: its entries have their keys.
    code, output = run("replay", "--event", str(processed))
    assert (code, output.strip()) == (0, f"queued 1 event(s) again: {processed}")
    drain(redis)
    with storage.session() as session:
        assert [e.points for e in session.query(LedgerEntry)] == [404]
        assert session.get(WebhookEvent, processed).status == "processed"
        assert session.get(WebhookEvent, failed).attempts == 1
    code, output = run("replay", "--event", "424242")
    assert code == 1
    assert "not replayed: no event 424242" in output


def test_a_processed_uninstall_is_not_replayed_after_a_reinstall(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    body = json.dumps(fixture("shopify/app_uninstalled.json")).encode()
    headers = shopify_headers(shopify_shop, "app/uninstalled", body)
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
    drain(redis)
    with storage.session() as session:
        [event_id] = session.scalars(select(WebhookEvent.id)).all()
        shop = session.get(Shop, shopify_shop.id)
        assert shop.uninstalled_at is not None
        shop.uninstalled_at, shop.credentials = (
            None,
            {"access_token": "shpat_reinstalled"},
        )  # as the OAuth callback does
    code, output = run("replay", "--event", str(event_id))
    assert code == 1
    assert f"not replayed: event {event_id} (app/uninstalled) was carried out already" in output
    drain(redis)
    with storage.session() as session:
        shop = session.get(Shop, shopify_shop.id)
        assert (shop.uninstalled_at, shop.credentials["access_token"]) == (None, "shpat_reinstalled")


def test_events_list_json_is_for_scripts(client: FlaskClient, offline_shopify_shop: Shop, redis: Redis) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="d-1")
    drain(redis)
    code, output = run("events", "list", str(offline_shopify_shop.id), "--json")
    [event] = json.loads(output)
    assert (code, event["topic"], event["status"], event["error"]) == (0, "orders/paid", "processed", None)
    code, output = run("events", "list", str(offline_shopify_shop.id), "--status", "failed")
    assert (code, output.strip()) == (0, "no events")


def test_lists_have_a_header_page_with_limit_and_offset_and_say_how_many_more(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    for n in range(5):
        post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=9000 + n), delivery_id=f"d-{n}")
    drain(redis)
    shop = str(offline_shopify_shop.id)
    code, output = run("events", "list", shop, "--limit", "2")
    lines = output.strip().splitlines()
    assert code == 0 and lines[0].split()[:3] == ["EVENT", "TOPIC", "STATUS"]
    assert len(lines) == 4 and lines[-1] == "showing 1-2 of 5; 3 more (--offset 2)"
    code, output = run("events", "list", shop, "--limit", "2", "--offset", "4")
    assert output.strip().splitlines()[-1] == "showing 5-5 of 5"
    code, output = run("pushes", "list", shop, "--limit", "1")
    assert (code, output.strip()) == (0, "no pushes")  # this shop writes nothing back
    code, output = run("events", "list", shop, "--offset", "10")
    assert output.strip() == "nothing from 11 on: there are 5"


def test_export_writes_the_ledger_as_csv_and_defuses_formulas(
    client: FlaskClient, woo_shop: Shop, redis: Redis, tmp_path: object
) -> None:
    order = fixture("woocommerce/order_created.json")
    order["billing"] = order["billing"] | {"email": '=HYPERLINK("http://evil")@example.com'}
    post_woo(client, woo_shop, "order.created", order)
    drain(redis)
    code, output = run("export", str(woo_shop.id))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(output)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["points"], row["source_type"], row["source_id"]) == ("order", "18", "order", "727")
    assert row["customer_email"] == '\'=hyperlink("http://evil")@example.com'  # e-mails are kept lower-case
    target = tmp_path / "ledger.csv"  # type: ignore[operator]
    code, output = run("export", str(woo_shop.id), "-o", str(target))
    assert (code, output.strip()) == (0, f"1 ledger entries written to {target}")
    assert target.read_text().splitlines()[0].startswith("entry_id,created_at,customer_id,customer_email,kind,points")
    assert run("export", "999") == (1, "Error: no shop 999\n")


def test_doctor_says_what_to_fix(woo_shop: Shop, redis: Redis) -> None:
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{woo_shop.id}"
    responses.get(
        f"{API}/webhooks",
        json=[
            {"id": 50, "topic": "order.created", "delivery_url": delivery, "status": "active"},
            {"id": 51, "topic": "order.updated", "delivery_url": delivery, "status": "disabled"},
        ],
    )
    code, output = run("doctor", "--json")
    assert code == 1
    checks = {c["name"]: c for c in json.loads(output[: output.rindex("]") + 1])}
    assert checks["database"]["result"] == "ok"
    assert checks["redis"]["result"] == "ok"
    assert checks["workers"] == {
        "name": "workers",
        "result": "fail",
        "detail": "none seen in the last minute",
        "fix": "start “sadakat worker” (or “sadakat run”)",
    }
    shop = next(c for name, c in checks.items() if name.startswith(f"shop {woo_shop.id} "))
    assert shop["result"] == "fail"
    assert "no webhook at" in shop["detail"]
    assert "order.updated, order.deleted, customer.created" in shop["detail"]
    assert checks["public URL"]["result"] == "warn"
    assert (checks["web server"]["result"], checks["web server"]["detail"]) == (
        "warn", "nothing answers at http://127.0.0.1:8000")  # fmt: skip
    assert "go to the local mailbox in" in checks["e-mail"]["detail"] and "Mail" in checks["e-mail"]["detail"]


def test_doctor_passes_when_everything_runs(woo_shop: Shop, redis: Redis) -> None:
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{woo_shop.id}"
    topics = ("order.created", "order.updated", "order.deleted", "customer.created")
    responses.get(
        f"{API}/webhooks",
        json=[
            {"id": n, "topic": t, "delivery_url": delivery, "status": "active"} for n, t in enumerate(topics, start=50)
        ],
    )
    with worker_and_scheduler_registered(redis):
        code, output = run("doctor")
    assert code == 0, output
    assert "FAIL" not in output
    assert f"shop {woo_shop.id} (" in output and "credentials work; webhooks are registered for" in output


def test_doctor_reports_credentials_the_store_refuses(woo_shop: Shop, redis: Redis) -> None:
    responses.get(
        f"{API}/webhooks",
        status=401,
        json={
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        },
    )
    code, output = run("doctor")
    assert code == 1
    assert "the store refused our credentials" in output
    assert "fix: reinstall the app on the store" in output
