"""The hosted rewards page, as a store's customer uses it: ask for a link by e-mail (the same answer for
strangers), follow it once, see points, tier, codes and history in words, redeem, set a birthday, sign out."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.language.formats import day as day_words
from connector.ops.rewards import sign_in
from connector.ops.shops import change_settings, register_shop
from connector.queue.connection import QUEUE_NAME
from tests.support import MailInbox, customer_json, drain, fixture, post_woo

API = "https://woo.example.com/wp-json/wc/v3"
JOHN = "john.doe@example.com"
SETTINGS = {
    "earn_rate": "60",
    "sync_customers": False,
    "colour": "#7c2d12",
    "tiers": [{"name": "Silver", "min_spend": "10"}, {"name": "Gold", "min_spend": "100", "multiplier": "1.5"}],
    "gifts": [{"rule": "order_over", "threshold": "200", "kind": "fixed_amount", "value": "10", "days": 30}],
    "referrals": {"enabled": True, "referrer_points": 300},
}


@pytest.fixture
def member_shop(client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """A WooCommerce store where John Doe has 1,080 points and is in Silver."""
    change_settings(storage, woo_shop.id, SETTINGS)
    order = fixture("woocommerce/order_created.json")
    now = utcnow().replace(microsecond=0).isoformat().removesuffix("+00:00")
    order |= {"customer_id": 25, "date_created_gmt": now, "date_paid_gmt": now, "date_modified_gmt": now}
    post_woo(client, woo_shop, "order.created", order)
    drain(redis)
    view = customer_json(client, woo_shop, JOHN)
    assert (view["points"], view["tier"]) == (1080, "Silver")
    return woo_shop


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def letter(message: object) -> EmailMessage:
    return message_from_bytes(message.content, policy=policy.default)  # type: ignore[attr-defined,return-value]


def ask_link(client: FlaskClient, shop: Shop, email: str) -> str:
    page = client.get(f"/rewards/{shop.handle}").get_data(as_text=True)
    answer = client.post(f"/rewards/{shop.handle}/sign-in", data={"email": email, "csrf": csrf(page)})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def enter(client: FlaskClient, shop: Shop, token: str) -> Any:
    """Open the e-mailed link and press Continue, as the member does."""
    shown = client.get(f"/rewards/{shop.handle}/enter?t={token}").get_data(as_text=True)
    proof = re.search(r'name="csrf" value="([^"]*)"', shown)[1]  # type: ignore[index]
    return client.post(f"/rewards/{shop.handle}/enter", data={"t": token, "csrf": proof})


def signed_in(client: FlaskClient, shop: Shop, redis: Redis, smtp: MailInbox) -> str:
    ask_link(client, shop, JOHN.upper())
    drain(redis)
    text = letter(smtp.messages[-1]).get_body(("plain",)).get_content()
    link = re.search(r"http\S+/enter\?t=(\S+)", text)
    assert link
    entered = enter(client, shop, link[1])
    assert entered.status_code == 303
    return link[1]


def test_anyone_sees_the_programme_and_how_to_join(client: FlaskClient, member_shop: Shop) -> None:
    page = client.get(f"/rewards/{member_shop.handle}?amount=250", headers={"Accept-Language": "en-GB,en;q=0.8"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Earn 60 points for every $1.00 you spend." in html
    assert "An order of $250.00 earns 15,000 points (Gold: 22,500)." in html
    assert "An order over $200.00: $10.00 off (a code valid for 30 days)" in html
    assert "Gold</strong>: from $100.00 spent in 12 months, 1.5 times the points on every order" in html
    assert 'name="email"' in html and "Your points" not in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in page.headers
    turkish = client.get(f"/rewards/{member_shop.handle}?lang=tr").get_data(as_text=True)
    assert "Harcadığınız her $1,00 için 60 puan kazanın." in turkish
    assert client.get(f"/rewards/{member_shop.handle}/colours.css").get_data(as_text=True).count("#7c2d12") == 1
    assert client.get("/rewards/999").status_code == 404


def test_a_member_signs_in_by_e_mail_once_and_sees_their_account(
    client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox
) -> None:
    answer = ask_link(client, member_shop, JOHN.upper())
    assert "If you are a member, a link to your rewards is on its way" in answer
    drain(redis)
    [sent] = smtp.messages
    mail = letter(sent)
    assert sent.rcpt_tos == [JOHN]
    assert mail["Subject"] == "Your sign-in link for woo.example.com rewards"
    assert "List-Unsubscribe" not in mail  # not marketing
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Hello John,")
    html = mail.get_body(("html",)).get_content()
    assert "#7c2d12" in html and "See my rewards" in html
    token = re.search(r"/enter\?t=(\S+)", text)[1]  # type: ignore[index]
    assert token not in redis.keys("*")  # kept only as its hash
    assert all(token.encode() not in key for key in redis.keys("sadakat:rewards:*"))

    shown = client.get(f"/rewards/{member_shop.handle}/enter?t={token}")  # a mail scanner's visit uses nothing
    assert shown.status_code == 200 and 'id="enter"' in shown.get_data(as_text=True)
    entered = enter(client, member_shop, token)
    assert entered.status_code == 303
    cookie = entered.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and f"Path=/rewards/{member_shop.handle}" in cookie
    again = enter(client, member_shop, token)
    assert again.status_code == 400 and "work any more" in again.get_data(as_text=True)

    page = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    assert '<span id="points">1,080</span>' in page
    assert "Your tier: Silver" in page
    next_year = (utcnow() + timedelta(days=365)).date()
    said = "Spend $82.00 more to reach Gold. Orders count for 12 months: your oldest one counted stops counting"
    assert f"{said} on {day_words(next_year, 'en')}." in page
    bar = re.search(r'<progress id="progress-bar" max="100" value="(\d+)"', page)
    assert bar and int(bar[1]) == 8  # 18.00 spent: 8.00 of the 90.00 between Silver (10.00) and Gold (100.00)
    assert re.search(r"Order #\d+: \+1,080 points", page)
    assert "Redeem 1,000 points for $10.00 off" in page

    link = re.search(r'<code id="referral-link">(http://[^<]+/r/[\w-]+/[\w-]+)</code>', page)
    assert link and "Friends invited: 0. Rewards earned: 0. Waiting: 0." in page
    claimed = client.post(urlsplit(link[1]).path, json={"email": "friend@example.org"})
    assert claimed.status_code == 202
    after = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    assert "Friends invited: 1." in after and link[1] in after


def test_strangers_get_the_same_answer_and_no_e_mail(
    client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox
) -> None:
    member = ask_link(client, member_shop, JOHN)
    stranger = ask_link(client, member_shop, "nobody@example.com")
    assert stranger.replace("nobody@example.com", JOHN) == member.replace(csrf(member), csrf(stranger))
    drain(redis)
    assert [m.rcpt_tos for m in smtp.messages] == [[JOHN]]


def test_redeeming_on_the_page_shows_the_code_and_e_mails_it(
    client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox
) -> None:
    signed_in(client, member_shop, redis, smtp)
    page = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    forged = client.post(f"/rewards/{member_shop.handle}/redeem", data={"points": "500", "key": "k1", "csrf": "no"})
    assert forged.status_code == 400
    assert '<span id="points">1,080</span>' in forged.get_data(as_text=True)  # nothing spent

    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    form = {"points": "500", "key": "k1", "csrf": csrf(page)}
    asked = client.post(f"/rewards/{member_shop.handle}/redeem", data=form)
    assert asked.status_code == 200 and "Spend 500 points for $5.00?" in asked.get_data(as_text=True)
    assert customer_json(client, member_shop, JOHN)["points"] == 1080  # asking spends nothing
    form |= {"confirmed": "yes"}
    redeemed = client.post(f"/rewards/{member_shop.handle}/redeem", data=form)
    html = redeemed.get_data(as_text=True)
    assert redeemed.status_code == 201
    code = re.search(r'<code id="new-code">([A-Z0-9-]+)</code>', html)[1]  # type: ignore[index]
    assert '<span id="points">580</span>' in html
    assert client.post(f"/rewards/{member_shop.handle}/redeem", data=form).status_code == 201  # a resubmit: same code
    assert customer_json(client, member_shop, JOHN)["points"] == 580
    drain(redis)
    mail = letter(smtp.messages[-1])
    assert mail["Subject"] == "A code for you from woo.example.com"
    assert code in mail.get_body(("plain",)).get_content()
    after = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    assert re.search(
        rf'<code id="code-1">{code}</code> <span>\$5.00 off</span>\s*<button type="button" class="copy"', after
    )
    assert "Points redeemed" in after
    assert "Spent 500 points on a discount code" in after


def test_birthday_once_then_sign_out(client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox) -> None:
    signed_in(client, member_shop, redis, smtp)
    token = csrf(client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True))
    bad = client.post(f"/rewards/{member_shop.handle}/birthday", data={"birthday": "2090-01-01", "csrf": token})
    assert bad.status_code == 400 and "Please give a real date of birth." in bad.get_data(as_text=True)
    saved = client.post(f"/rewards/{member_shop.handle}/birthday", data={"birthday": "1990-05-17", "csrf": token})
    assert saved.status_code == 200 and "We have your birthday: May 17, 1990." in saved.get_data(as_text=True)
    again = client.post(f"/rewards/{member_shop.handle}/birthday", data={"birthday": "1991-05-17", "csrf": token})
    assert again.status_code == 409
    out = client.post(f"/rewards/{member_shop.handle}/sign-out", data={"csrf": token})
    assert "You are signed out." in out.get_data(as_text=True)
    assert 'name="email"' in client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)


def test_members_and_strangers_cost_the_same_work_the_worker_decides(
    client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox
) -> None:
    """Timing told members apart (the e-mail was written only for them): now each accepted address queues
    the same one job, and nothing else happens before the answer."""
    queue = Queue(QUEUE_NAME, connection=redis)
    before = queue.count
    ask_link(client, member_shop, JOHN)
    after_member = queue.count
    ask_link(client, member_shop, "nobody@example.com")
    assert (after_member - before, queue.count - after_member) == (1, 1)
    assert smtp.messages == []
    drain(redis)
    assert [m.rcpt_tos for m in smtp.messages] == [[JOHN]]


def test_one_client_trying_many_addresses_is_stopped_before_any_address_is_counted(
    client: FlaskClient, member_shop: Shop, redis: Redis
) -> None:
    page = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    answers = [
        client.post(
            f"/rewards/{member_shop.handle}/sign-in", data={"email": f"n{n}@example.com", "csrf": csrf(page)}
        ).status_code
        for n in range(sign_in.TRIES_PER_ADDRESS + 20)
    ]
    assert answers == [200] * sign_in.TRIES_PER_ADDRESS + [429] * 20
    per_address = list(redis.scan_iter(f"{sign_in.PREFIX}tries:{member_shop.id}:*"))
    assert len(per_address) == sign_in.TRIES_PER_ADDRESS


def test_another_site_cant_sign_a_visitor_in_to_its_own_account(
    client: FlaskClient, member_shop: Shop, redis: Redis, smtp: MailInbox, app: Flask
) -> None:
    """Login CSRF: the attacker asks a link for their own account and posts it from their site."""
    ask_link(client, member_shop, JOHN)
    drain(redis)
    token = re.search(r"/enter\?t=(\S+)", letter(smtp.messages[-1]).get_body(("plain",)).get_content())[1]  # type: ignore[index]
    victim = app.test_client()
    forged = victim.post(
        f"/rewards/{member_shop.handle}/enter",
        data={"t": token, "csrf": "0" * 64},
        headers={"Origin": "https://evil.example"},
    )
    assert (
        forged.status_code == 400
        and victim.get_cookie("sadakat_rewards", path=f"/rewards/{member_shop.handle}") is None
    )
    no_origin = victim.post(f"/rewards/{member_shop.handle}/enter", data={"t": token})
    assert no_origin.status_code == 400
    assert enter(client, member_shop, token).status_code == 303  # the link is still good where it was sent


def test_a_link_posted_to_another_shop_is_not_spent_there(
    client: FlaskClient, member_shop: Shop, storage: Storage, config: object, redis: Redis, smtp: MailInbox
) -> None:
    other = register_shop(storage, config, "sandbox", "other-shop", {}, "secret-other")  # type: ignore[arg-type]
    ask_link(client, member_shop, JOHN)
    drain(redis)
    token = re.search(r"/enter\?t=(\S+)", letter(smtp.messages[-1]).get_body(("plain",)).get_content())[1]  # type: ignore[index]
    assert enter(client, other, token).status_code == 400
    assert enter(client, member_shop, token).status_code == 303


def test_a_session_is_for_one_shop_and_tries_are_limited(
    client: FlaskClient, member_shop: Shop, storage: Storage, config: object, redis: Redis, smtp: MailInbox
) -> None:
    other = register_shop(storage, config, "sandbox", "other-shop", {}, "secret-other")  # type: ignore[arg-type]
    answers = []
    for _ in range(sign_in.TRIES_PER_EMAIL):
        page = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
        form = {"email": "someone@example.com", "csrf": csrf(page)}
        answers.append(client.post(f"/rewards/{member_shop.handle}/sign-in", data=form).status_code)
    assert answers == [200] * sign_in.TRIES_PER_EMAIL
    refused = client.post(f"/rewards/{member_shop.handle}/sign-in", data=form)
    assert refused.status_code == 429 and "Too many tries" in refused.get_data(as_text=True)
    expired = client.post(f"/rewards/{member_shop.handle}/sign-in", data={"email": JOHN, "csrf": "1.x"})
    assert expired.status_code == 400 and "This form has expired" in expired.get_data(as_text=True)

    signed_in(client, member_shop, redis, smtp)
    session_cookie = client.get_cookie("sadakat_rewards", path=f"/rewards/{member_shop.handle}")
    assert session_cookie is not None
    client.set_cookie("sadakat_rewards", session_cookie.value, path=f"/rewards/{other.handle}")
    assert "Your points" not in client.get(f"/rewards/{other.handle}").get_data(as_text=True)


def test_the_stores_own_site_signs_a_customer_straight_in(
    client: FlaskClient, member_shop: Shop, storage: Storage
) -> None:
    with storage.session() as session:
        key = session.get(Shop, member_shop.id).customer_api_key  # type: ignore[union-attr]
    at = str(int(time.time()))
    customer = customer_json(client, member_shop, JOHN)["customer"]["id"]
    sig = sign_in.store_signature(key, member_shop.id, customer, at)
    url = f"/rewards/{member_shop.handle}?customer={customer}&ts={at}&sig={sig}"
    assert client.get(url).status_code == 303
    assert '<span id="points">1,080</span>' in client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    client.delete_cookie("sadakat_rewards", path=f"/rewards/{member_shop.handle}")
    assert client.get(url).status_code == 403  # once only
    old = str(int(time.time()) - 600)
    stale = f"/rewards/{member_shop.handle}?customer={customer}&ts={old}&sig="
    assert client.get(stale + sign_in.store_signature(key, member_shop.id, customer, old)).status_code == 403
    assert client.get(url.replace(sig, "0" * 64)).status_code == 403


def test_a_visitor_sees_what_points_are_worth_and_where_to_open_an_account(
    client: FlaskClient, member_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, member_shop.id, {"signup_url": "https://woo.example.com/my-account/"})
    page = client.get(f"/rewards/{member_shop.handle}").get_data(as_text=True)
    assert '<p id="worth">100 points = $1.00 off. You can redeem from 500 points.</p>' in page
    assert '<a href="https://woo.example.com/my-account/">Create an account</a>' in page
    refused = client.put(f"/admin/api/shops/{member_shop.id}/settings", json={"signup_url": "javascript:alert(1)"},
                         headers={"Authorization": "Bearer test-admin-token"})  # fmt: skip
    assert refused.status_code == 400 and "signup_url" in refused.get_json()["error"]


def test_a_tier_from_nothing_is_every_members_not_from_0_spent(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"tiers": [{"name": "Bronze", "min_spend": "0"}], "locale": "tr"})
    page = client.get(f"/rewards/{woo_shop.handle}?lang=tr").get_data(as_text=True)
    assert "Bronze</strong>: ilk siparişten itibaren her üye" in page and "0,00 harcamadan" not in page
