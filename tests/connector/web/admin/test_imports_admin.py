"""Bringing members over in the admin: a merchant uploads another app's export, sees what the check found
(nothing changed yet, refused rows with their reason in the page's language), then imports it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from connector.ops.shops import change_settings
from tests.support import drain, form_csrf, login

EXPORT = (
    "first_name,last_name,email,state,date_of_birth,points_balance,referral_url,vip_tier\n"
    "Ada,Lovelace,ada@example.com,member,1990-05-17,350,http://rwrd.io/ada1x9k?c,Gold\n"
    "Şule,Öztürk,sule@example.com,member,1004-11-02,80,,\n"
    "Bad,Row,not-an-email,member,,10,,\n"
    "Minus,Row,minus@example.com,member,,-4,,\n"
)


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    assert login(client).status_code == 302
    return client


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def balances(storage: Storage, shop: Shop) -> dict[str | None, int]:
    with storage.session() as session:
        found = session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))
        return {m.email: m.points for m in found}


def upload(admin: FlaskClient, shop: Shop, body: bytes, **fields: str) -> object:
    page = admin.get(f"/admin/shops/{shop.id}/import")
    form = {"csrf_token": form_csrf(text(page)), "source": "smile", "mode": "add"} | fields
    return admin.post(f"/admin/shops/{shop.id}/import", data=form | {"file": (io.BytesIO(body), "smile export.csv")},
                      content_type="multipart/form-data")  # fmt: skip


def test_a_merchant_checks_a_file_sees_what_would_happen_then_imports_it(
    admin: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": [{"name": "Gold", "min_spend": "700"}]})
    customers = text(admin.get(f"/admin/shops/{shop.id}/customers"))
    assert f'href="/admin/shops/{shop.id}/import"' in customers and "Bring members over from another app" in customers

    sent = upload(admin, shop, EXPORT.encode())
    assert sent.status_code == 302  # type: ignore[attr-defined]
    checking = sent.headers["Location"]  # type: ignore[attr-defined]
    assert "Waiting for a worker to start" in text(admin.get(checking))
    drain(redis)
    checked = text(admin.get(checking))
    assert "smile export.csv is checked: nothing has changed yet." in checked
    report = dict(re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>([^<]+)</td>', checked))
    assert report["Rows read"] == "4" and report["Rows accepted"] == "2" and report["Rows refused"] == "2"
    assert report["New members"] == "2" and report["Points in the accepted rows"] == "430"
    assert "The e-mail address isn&#39;t one" in checked and "The points are below zero" in checked
    assert balances(storage, shop) == {}

    go = admin.post(checking + "/go", data={"csrf_token": form_csrf(checked)})
    assert go.status_code == 302
    drain(redis)
    done = text(admin.get(go.headers["Location"]))
    assert "smile export.csv is imported." in done
    assert balances(storage, shop) == {"ada@example.com": 350, "sule@example.com": 80}
    refused = admin.get(go.headers["Location"] + "/refused.csv")
    rows = list(csv.DictReader(io.StringIO(refused.get_data(as_text=True))))
    assert [(r["row"], r["reason"]) for r in rows] == [
        ("4", "the e-mail 'not-an-email' is not an e-mail address"),
        ("5", "points -4 is negative: a balance can't be below zero"),
    ]
    listed = text(admin.get(f"/admin/shops/{shop.id}/import"))
    assert listed.count("smile export.csv") == 2 and "Check" in listed and "Import" in listed

    again = admin.post(checking + "/go", data={"csrf_token": form_csrf(checked)})
    drain(redis)
    assert "Imported by an earlier run, left as they were" in text(admin.get(again.headers["Location"]))
    assert balances(storage, shop) == {"ada@example.com": 350, "sule@example.com": 80}


def test_the_page_speaks_turkish_and_bad_uploads_are_told_at_the_form(
    admin: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    page = admin.get(f"/admin/shops/{shop.id}/import")
    admin.post("/admin/language", data={"csrf_token": form_csrf(text(page)), "lang": "tr", "next": "/admin"})
    turkish = text(admin.get(f"/admin/shops/{shop.id}/import"))
    assert "Başka bir uygulamadan üyeleri aktarın" in turkish and "Dosyayı denetle" in turkish

    empty = upload(admin, shop, b"")
    assert empty.status_code == 400 and "Boş olmayan bir CSV dosyası seçin." in text(empty)  # type: ignore[attr-defined]
    nowhere = upload(admin, shop, EXPORT.encode(), source="elsewhere")
    assert nowhere.status_code == 400 and "Dosyanın geldiği uygulamayı seçin." in text(nowhere)  # type: ignore[attr-defined]
    past = upload(admin, shop, EXPORT.encode(), tier_until="2001-01-01")
    assert past.status_code == 400 and "Bugünden itibaren bir tarih girin" in text(past)  # type: ignore[attr-defined]

    sent = upload(admin, shop, EXPORT.encode())
    run = sent.headers["Location"]  # type: ignore[attr-defined]
    early = admin.post(run + "/go", data={"csrf_token": form_csrf(turkish)})
    assert early.status_code == 409 and "Bu dosya henüz denetlenmedi" in text(early)
    drain(redis)
    checked = text(admin.get(run))
    assert "smile export.csv denetlendi: henüz hiçbir şey değişmedi." in checked
    assert "E-posta adresi geçerli değil" in checked and "Puanlar sıfırın altında" in checked
    assert admin.get(f"/admin/shops/{shop.id}/imports/999999").status_code == 404
