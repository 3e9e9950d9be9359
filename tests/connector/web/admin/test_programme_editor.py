"""The programme editor as a merchant uses it: every setting as a labelled field, tiers and gift rules as
rows to add and remove, each error next to its field in plain words with nothing saved, a preview in the
customers' words, and every change recorded."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from connector.db.storage import Storage
from connector.db.tables import Shop
from tests.support import AUTH, form_csrf, login


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    assert login(client).status_code == 302
    return client


def form_of(html: str) -> dict[str, str]:
    """What the browser would send: every input's value, checked boxes, selected options."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                found[name[1]] = "on"
            continue
        found[name[1]] = value[1] if value else ""
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected>', options) or re.search(
            r'<option value="([^"]+)"', options
        )
        found[name] = chosen[1] if chosen else ""
    return found


def test_the_editor_shows_the_programme_and_adds_rows_without_saving(
    admin: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    page = admin.get(f"/admin/shops/{woo_shop.id}/programme")
    html = text(page)
    assert page.status_code == 200
    assert '<label for="earn_rate">Points per 1.00 spent</label>' in html
    assert "No tiers: every member earns the same." in html
    form = form_of(html)
    added = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form | {"action": "add_tier"})
    assert added.status_code == 200 and 'name="tier-0-name"' in text(added)
    more = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form_of(text(added)) | {"action": "add_gift"})
    assert 'name="tier-0-name"' in text(more) and 'name="gift-0-rule"' in text(more)
    fewer = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form_of(text(more)) | {"action": "remove_tier:0"})
    assert 'name="tier-0-name"' not in text(fewer) and 'name="gift-0-rule"' in text(fewer)
    with storage.session() as session:
        assert session.get(Shop, woo_shop.id).settings.get("tiers", []) == []  # type: ignore[union-attr]


def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(
    admin: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    form = form_of(text(admin.get(f"/admin/shops/{woo_shop.id}/programme")))
    bad = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form | {"earn_rate": "-3", "action": "save"})
    html = text(bad)
    assert bad.status_code == 400
    assert "Nothing was saved: please correct the fields marked below." in html
    assert re.search(r'id="earn_rate"[^>]*value="-3"[^>]*aria-invalid="true"', html)
    assert '<span class="field-error" id="earn_rate-error">Enter a value from 0 to 1000.</span>' in html
    assert "earn_rate must" not in html  # never the internal message

    rows = form | {"tier_rows": "2", "tier-0-name": "Silver", "tier-0-min_spend": "100", "tier-0-multiplier": "1",
                   "tier-1-name": "Gold", "tier-1-min_spend": "lots", "tier-1-multiplier": "2"}  # fmt: skip
    bad_row = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=rows | {"action": "save"})
    assert bad_row.status_code == 400
    assert '<span class="field-error" id="tier-1-min_spend-error">Enter a number.</span>' in text(bad_row)
    assert 'value="Silver"' in text(bad_row)  # what was typed stays
    admin.post("/admin/language", data={"lang": "tr", "csrf_token": form["csrf_token"], "next": "/admin/"})
    turkish = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form | {"earn_rate": "5000", "action": "save"})
    assert "0 ile 1000 arasında bir değer girin." in text(turkish)
    with storage.session() as session:
        assert session.get(Shop, woo_shop.id).settings.get("earn_rate") in (None, "1")  # type: ignore[union-attr]


def test_saving_records_the_change_and_the_preview_reads_as_customers_will(admin: FlaskClient, woo_shop: Shop) -> None:
    form = form_of(text(admin.get(f"/admin/shops/{woo_shop.id}/programme")))
    form |= {
        "earn_rate": "2",
        "tier_rows": "1",
        "tier-0-name": "Gold",
        "tier-0-min_spend": "500",
        "tier-0-multiplier": "2",
        "tier-0-free_shipping_monthly": "on",
        "gift_rows": "1",
        "gift-0-rule": "order_over",
        "gift-0-kind": "percentage",
        "gift-0-value": "15",
        "gift-0-days": "30",
        "gift-0-threshold": "200",
        "referrals_enabled": "on",
        "friend_kind": "percentage",
        "friend_value": "10",
        "referrer_points": "400",
        "max_claims": "3",
        "action": "save",
    }
    saved = admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form)
    assert saved.status_code == 302
    stored = admin.get(f"/admin/api/shops/{woo_shop.id}/settings").get_json()
    assert stored["earn_rate"] == "2"
    assert stored["tiers"] == [{"name": "Gold", "min_spend": "500", "multiplier": "2", "free_shipping_monthly": True}]
    assert stored["gifts"][0] | {} == {"rule": "order_over", "kind": "percentage", "value": "15", "days": 30,
                                       "threshold": "200"}  # fmt: skip
    assert stored["referrals"]["enabled"] is True and stored["referrals"]["referrer_points"] == 400
    assert stored["referrals"]["max_claims_per_address_per_week"] == 3
    assert stored["referrals"]["friend_reward"] == {"kind": "percentage", "value": "10", "days": 30}
    page = text(admin.get(f"/admin/shops/{woo_shop.id}/programme"))
    assert "Programme saved." in page
    assert "An order of 100.00 earns 200 points (Gold: 400)." in page
    assert "An order over 200.00: 15% off (a code valid for 30 days)" in page
    assert "Invite a friend: they get 10% off on their first order, you get 400 points." in page
    history = page[page.index('id="history"') :]
    assert "by the admin pages (127.0.0.1)" in history
    assert "Points per 1.00 spent: 1 → 2" in history and "VIP tiers: \u2013 → Gold (500)" in history

    admin.put(
        f"/admin/api/shops/{woo_shop.id}/settings",
        json={"earn_rate": "3"},
        headers=AUTH | {"X-CSRF-Token": form["csrf_token"]},
    )
    assert "by the admin API" in text(admin.get(f"/admin/shops/{woo_shop.id}/programme"))
    shop_page = text(admin.get(f"/admin/shops/{woo_shop.id}"))
    assert 'id="edit-programme"' in shop_page and "Earn 3 points for every 1.00 you spend." in shop_page


def test_the_editor_needs_the_csrf_token(admin: FlaskClient, woo_shop: Shop) -> None:
    form = form_of(text(admin.get(f"/admin/shops/{woo_shop.id}/programme")))
    del form["csrf_token"]
    assert admin.post(f"/admin/shops/{woo_shop.id}/programme", data=form | {"action": "save"}).status_code == 403
    assert form_csrf(text(admin.get("/admin/")))


def test_a_shopify_merchant_switches_to_store_credit_with_cashback_and_woocommerce_is_told_why_not(
    admin: FlaskClient, offline_shopify_shop: Shop, woo_shop: Shop
) -> None:
    url = f"/admin/shops/{offline_shopify_shop.id}/programme"
    html = text(admin.get(url))
    assert "It needs Shopify&#39;s new customer accounts" in html
    form = form_of(html) | {"reward": "store_credit", "credit_days": "365", "action": "add_tier"}
    with_tier = text(admin.post(url, data=form))
    form = form_of(with_tier) | {"tier-0-name": "Gold", "tier-0-min_spend": "500", "tier-0-cashback_percent": "2",
                                 "action": "save"}  # fmt: skip
    saved = admin.post(url, data=form)
    assert saved.status_code == 302
    settings = admin.get(f"/admin/api/shops/{offline_shopify_shop.id}/settings", headers=AUTH).get_json()
    assert settings["redemption"]["reward"] == "store_credit" and settings["redemption"]["credit_days"] == 365
    assert settings["tiers"][0]["cashback_percent"] == "2"
    woo_url = f"/admin/shops/{woo_shop.id}/programme"
    refused = admin.post(woo_url, data=form_of(text(admin.get(woo_url))) | {"reward": "store_credit", "action": "save"})
    assert refused.status_code == 400
    assert 'id="reward-error">This shop&#39;s platform has no store credit: use discount codes.' in text(refused)
    after = admin.get(f"/admin/api/shops/{woo_shop.id}/settings", headers=AUTH).get_json()
    assert "reward" not in after["redemption"]


def test_tiers_that_make_no_sense_are_refused_at_the_field_in_plain_words(admin: FlaskClient, woo_shop: Shop) -> None:
    url = f"/admin/shops/{woo_shop.id}/programme"
    form = form_of(text(admin.get(url)))
    form |= {"tier_rows": "2", "action": "save"}
    form |= {"tier-0-name": "Silver", "tier-0-min_spend": "750", "tier-0-multiplier": "1.25"}
    form |= {"tier-1-name": "Platin", "tier-1-min_spend": "500", "tier-1-multiplier": "2"}
    refused = admin.post(url, data=form)
    html = text(refused)
    assert refused.status_code == 400
    assert 'id="tier-0-multiplier-error">A tier that asks for more spend can&#39;t give fewer points' in html


def test_the_turkish_editor_takes_and_shows_numbers_the_turkish_way(admin: FlaskClient, woo_shop: Shop) -> None:
    page = text(admin.get("/admin/"))
    admin.post("/admin/language", data={"lang": "tr", "csrf_token": form_csrf(page)})
    url = f"/admin/shops/{woo_shop.id}/programme"
    form = form_of(text(admin.post(url, data=form_of(text(admin.get(url))) | {"action": "add_tier"})))
    form |= {"earn_rate": "1,5", "points_per_unit": "1.000", "minimum_points": "1.000", "step_points": "100"}
    form |= {"tier-0-name": "Altın", "tier-0-min_spend": "1.250,50", "tier-0-multiplier": "1,25", "action": "save"}
    saved = admin.post(url, data=form)
    assert saved.status_code == 302, text(saved)[:3000]
    settings = admin.get(f"/admin/api/shops/{woo_shop.id}/settings", headers=AUTH).get_json()
    assert settings["earn_rate"] == "1.5" and settings["redemption"]["points_per_unit"] == 1000
    assert (settings["tiers"][0]["min_spend"], settings["tiers"][0]["multiplier"]) == ("1250.50", "1.25")
    shown = text(admin.get(url))
    assert 'id="earn_rate" name="earn_rate" type="text" value="1,5"' in shown
    assert 'value="1,25"' in shown and "1,25 kat puan" in shown


def test_every_bad_field_is_marked_at_once_and_the_api_names_them_all(
    admin: FlaskClient, woo_shop: Shop, client: FlaskClient
) -> None:
    url = f"/admin/shops/{woo_shop.id}/programme"
    form = form_of(text(admin.get(url))) | {"earn_rate": "lots", "colour": "green", "action": "save"}
    html = text(admin.post(url, data=form))
    assert 'id="earn_rate-error"' in html and 'id="colour-error"' in html
    assert 'id="earn_rate" name="earn_rate" type="text" value="lots" inputmode="decimal" aria-invalid="true"' in html
    answer = client.put(f"/admin/api/shops/{woo_shop.id}/settings", json={"earn_rate": "lots", "colour": "green"},
                        headers=AUTH)  # fmt: skip
    said = answer.get_json()["error"]
    assert answer.status_code == 400 and "earn_rate" in said and "colour" in said


def test_a_merchant_sets_calendar_year_tiers_with_a_grace_period(admin: FlaskClient, woo_shop: Shop) -> None:
    url = f"/admin/shops/{woo_shop.id}/programme"
    html = text(admin.get(url))
    assert (
        "Spend counted for a tier" in html
        and "the calendar year (a tier earned is kept all of the next year too)" in html
    )
    form = form_of(html) | {"action": "save", "tier_period": "calendar_year", "tier_grace_days": "30"}
    assert admin.post(url, data=form).status_code in (200, 302)
    saved = admin.get(f"/admin/api/shops/{woo_shop.id}/settings", headers=AUTH).get_json()
    assert (saved["tier_period"], saved["tier_grace_days"]) == ("calendar_year", 30)
    refused = admin.post(url, data=form_of(text(admin.get(url))) | {"action": "save", "tier_grace_days": "400"})
    assert refused.status_code == 400 and 'id="tier_grace_days-error"' in text(refused)
