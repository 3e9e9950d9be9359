"""Rough edges a newcomer met in the first ten minutes: percentages as each language writes them, who made
a change in the reader's words, a favicon on every page, and ``sadakat --version``."""

from __future__ import annotations

import re
from decimal import Decimal

from click.testing import CliRunner
from flask.testing import FlaskClient

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from connector.web.admin.texts import Text
from tests.support import form_csrf, login


def test_percentages_are_written_as_each_language_writes_them() -> None:
    assert Text("en").percent(Decimal("0.579")) == "57.9%"
    assert Text("tr").percent(Decimal("0.579")) == "%57,9"


def test_the_change_history_says_who_in_the_readers_words(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"earn_rate": "2"})
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{woo_shop.id}/programme").get_data(as_text=True)
    assert "by the command line" in page
    client.post("/admin/language", data={"lang": "tr", "csrf_token": form_csrf(page)})
    turkish = client.get(f"/admin/shops/{woo_shop.id}/programme").get_data(as_text=True)
    assert "komut satırı tarafından" in turkish and "command line" not in turkish


def test_every_page_has_a_favicon_and_the_browsers_request_for_it_is_answered(
    client: FlaskClient, woo_shop: Shop
) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    for path in ("/admin/login", f"/rewards/{woo_shop.handle}"):
        assert 'rel="icon"' in client.get(path).get_data(as_text=True)


def test_the_command_line_says_its_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output.strip()) == (0, "sadakat 0.1.0")


def test_a_missing_shop_or_customer_is_a_page_in_the_readers_language_not_json(
    client: FlaskClient, woo_shop: Shop
) -> None:
    assert login(client).status_code == 302
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path in ("/admin/shops/999", f"/admin/shops/{woo_shop.id}/customers/999999", "/rewards/nothing-here"):
        answer = client.get(path, headers=html)
        assert answer.status_code == 404 and answer.mimetype == "text/html", path
        assert "There is nothing here" in answer.get_data(as_text=True) and "{" not in answer.get_data(as_text=True)
    turkish = client.get("/admin/shops/999", headers=html | {"Accept-Language": "tr"})
    assert "Burada bir şey yok" in turkish.get_data(as_text=True)
    api = client.get("/admin/api/shops/999/customers/1", headers={"Authorization": "Bearer test-admin-token"})
    assert api.status_code == 404 and api.is_json  # scripts still get JSON


def test_times_in_the_api_are_iso_8601(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    from connector.ops.customers import segments

    segments.roll_up(storage, woo_shop.id)
    figures = client.get(
        f"/admin/api/shops/{woo_shop.id}/metrics", headers={"Authorization": "Bearer test-admin-token"}
    )
    as_of = figures.get_json()["as_of"]
    assert as_of and as_of[:4].isdigit() and "T" in as_of and "GMT" not in as_of


def test_the_shop_page_puts_the_programme_before_the_tracking_services(client: FlaskClient, woo_shop: Shop) -> None:
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{woo_shop.id}").get_data(as_text=True)
    assert page.index('id="edit-programme"') < page.index('id="tracking"')  # on a phone it was 4,000 px further down


def test_every_machine_name_has_one_word_in_each_language_and_the_docs_list_it() -> None:
    from pathlib import Path

    from connector.db.tables import Push, WebhookEvent
    from connector.outbox.perform import PERFORMERS
    from connector.rules.segments import SEGMENTS
    from connector.web.admin.texts import STRINGS

    docs = (Path(__file__).resolve().parents[4] / "docs" / "operations.md").read_text()
    statuses = {v for c in (WebhookEvent, Push) for k, v in vars(c).items() if k.isupper() and isinstance(v, str)}
    names = [f"status_{s}" for s in statuses] + [f"kind_{k}" for k in PERFORMERS] + [f"seg_{s}" for s in SEGMENTS]
    for lang in ("en", "tr"):
        missing = [name for name in names if name not in STRINGS[lang]]
        assert missing == [], (lang, missing)
    for machine in [*statuses, *PERFORMERS, *SEGMENTS]:
        assert f"`{machine}`" in docs, machine


def test_an_orders_points_are_dated_when_the_order_was_placed(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: object
) -> None:
    """After a backfill or `simulate`, the history said "2 min ago" beside orders placed 150 days ago."""
    import re
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from connector.db.tables import CustomerRecord
    from tests.support import drain, paid_shopify_order, post_shopify

    placed = (datetime.now(UTC) - timedelta(days=150)).replace(microsecond=0)
    order = paid_shopify_order(created_at=placed.isoformat(), processed_at=placed.isoformat())
    post_shopify(client, offline_shopify_shop, "orders/paid", order)
    drain(redis)  # type: ignore[arg-type]
    with storage.session() as session:
        john = session.scalars(select(CustomerRecord.id)).one()
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{offline_shopify_shop.id}/customers/{john}").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    first = re.search(r'<time datetime="([^"]+)"', history)
    assert first and first[1].startswith(placed.date().isoformat()), first


def test_no_word_a_person_reads_carries_markup() -> None:
    """The overview said "Start `sadakat worker`." with the backticks."""
    from connector.web.admin.texts import STRINGS
    from connector.web.customer.rewards_texts import WORDS

    for lang, words in [*STRINGS.items(), *WORDS.items()]:
        marked = {key: text for key, text in words.items() if "`" in text or "**" in text or "<" in text}
        assert marked == {}, lang


def test_the_overview_names_the_platform_and_money_has_its_currency(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "TRY"})
    assert Text("tr").money(Decimal("1234.5"), "TRY") == "₺1.234,50"
    assert login(client).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert ">WooCommerce</td>" in page and ">woocommerce<" not in page
    assert re.search(r"<dd>TRY0\.00</dd>", page), "what the points are worth, in the shop's money"
