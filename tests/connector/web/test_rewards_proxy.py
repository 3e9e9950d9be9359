"""The rewards page inside a Shopify theme: Shopify's signed app proxy request in, Liquid out, with nothing from
the store evaluated as Liquid; forms post back through the proxy with a token for that customer."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import update

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from tests.support import customer_json, proxy_query

JOHN = "115310627314723954"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_a_logged_in_customer_sees_their_rewards_in_the_theme(client: FlaskClient, redeeming_member: Shop) -> None:
    answer = client.get("/proxy", query_string=proxy_query(redeeming_member))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "application/liquid"
    assert '<span id="points">1,012</span>' in html and "Hello John" in html
    assert 'action="/apps/sadakat/rewards/redeem"' in html
    assert "Redeem 1,000 points for $10.00" in html
    assert re.search(r'href="http://[^"]+/static/rewards.css"', html)  # absolute: the page is on the store's host
    assert "<html" not in html  # the theme supplies the page around it


def test_a_visitor_who_is_not_logged_in_is_shown_the_programme_and_the_login(
    client: FlaskClient, redeeming_member: Shop
) -> None:
    answer = client.get("/proxy", query_string=proxy_query(redeeming_member, customer=""))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'href="/account/login"' in html and "Log in to your account to see your points" in html
    assert "Earn 2.5 points for every $1.00" in html and 'id="points"' not in html


def test_only_shopifys_fresh_signed_request_is_answered(client: FlaskClient, redeeming_member: Shop) -> None:
    forged = proxy_query(redeeming_member) | {"logged_in_customer_id": "1"}
    assert client.get("/proxy", query_string=forged).status_code == 401
    assert client.get("/proxy", query_string=proxy_query(redeeming_member, timestamp="1")).status_code == 401
    other = Shop(domain="not-ours.myshopify.com")
    assert client.get("/proxy", query_string=proxy_query(other)).status_code == 404


def test_the_stores_data_is_shown_never_run_as_liquid(
    client: FlaskClient, redeeming_member: Shop, storage: Storage
) -> None:
    with storage.session() as session:
        session.execute(update(CustomerRecord).values(first_name="{{ shop.secret }}<b>x</b>"))
    html = client.get("/proxy", query_string=proxy_query(redeeming_member)).get_data(as_text=True)
    assert "Hello &#123;&#123; shop.secret &#125;&#125;&lt;b&gt;x&lt;/b&gt;" in html
    assert "{" not in html and "<b>" not in html


def test_a_custom_proxy_path_is_used_and_a_strange_one_ignored(client: FlaskClient, redeeming_member: Shop) -> None:
    custom = client.get("/proxy", query_string=proxy_query(redeeming_member, path_prefix="/a/loyalty"))
    assert 'action="/a/loyalty/rewards/redeem"' in custom.get_data(as_text=True)
    odd = client.get("/proxy", query_string=proxy_query(redeeming_member, path_prefix="//evil.example/x"))
    assert 'action="/apps/sadakat/rewards/redeem"' in odd.get_data(as_text=True)


def test_redeeming_through_the_proxy_shows_the_code(client: FlaskClient, redeeming_member: Shop) -> None:
    token = csrf(client.get("/proxy", query_string=proxy_query(redeeming_member)).get_data(as_text=True))
    forged = client.post(
        "/proxy/rewards/redeem", query_string=proxy_query(redeeming_member), data={"points": "500", "csrf": "1.x"}
    )
    assert forged.status_code == 400 and customer_json(client, redeeming_member, JOHN)["points"] == 1012
    someone_else = proxy_query(redeeming_member, customer="42")
    stolen = client.post("/proxy/rewards/redeem", query_string=someone_else, data={"points": "500", "csrf": token})
    assert stolen.status_code == 400  # a token is for one customer
    logged_out = proxy_query(redeeming_member, customer="")
    assert client.post("/proxy/rewards/redeem", query_string=logged_out, data={"points": "500"}).status_code == 401

    form = {"points": "500", "key": "page-1", "csrf": token}
    asked = client.post("/proxy/rewards/redeem", query_string=proxy_query(redeeming_member), data=form)
    assert asked.status_code == 200 and "Spend 500 points for $5.00?" in asked.get_data(as_text=True)
    assert customer_json(client, redeeming_member, JOHN)["points"] == 1012  # asking spends nothing
    form |= {"confirmed": "yes"}
    redeemed = client.post("/proxy/rewards/redeem", query_string=proxy_query(redeeming_member), data=form)
    html = redeemed.get_data(as_text=True)
    assert redeemed.status_code == 201 and redeemed.mimetype == "application/liquid"
    assert re.search(r'<code id="new-code">[A-Z0-9-]+</code>', html)
    assert '<span id="points">512</span>' in html


def test_the_birthday_is_set_through_the_proxy_once(client: FlaskClient, redeeming_member: Shop) -> None:
    token = csrf(client.get("/proxy", query_string=proxy_query(redeeming_member)).get_data(as_text=True))
    query = proxy_query(redeeming_member)
    saved = client.post("/proxy/rewards/birthday", query_string=query, data={"birthday": "1990-05-17", "csrf": token})
    assert saved.status_code == 200 and "We have your birthday: May 17, 1990." in saved.get_data(as_text=True)
    again = client.post("/proxy/rewards/birthday", query_string=query, data={"birthday": "1991-01-01", "csrf": token})
    assert again.status_code == 409


def test_the_app_embeds_launcher_reads_the_members_panel_and_its_words_through_the_proxy(
    client: FlaskClient, redeeming_member: Shop
) -> None:
    panel = client.get("/proxy/launcher", query_string=proxy_query(redeeming_member, lang="tr"))
    assert panel.status_code == 200 and panel.headers["Cache-Control"] == "no-store"
    view = panel.get_json()
    assert view["points"] == 1012 and view["member"]["options"][0] == {"points": 500, "value": "$5,00"}
    assert view["words"]["confirm_yes"] == "Evet, kullan" and view["share"][0]["name"] == "WhatsApp"
    assert "Access-Control-Allow-Origin" not in panel.headers  # same-origin, through the store
    visitor = client.get("/proxy/launcher", query_string=proxy_query(redeeming_member, customer=""))
    assert visitor.status_code == 401
    forged = proxy_query(redeeming_member) | {"signature": "0" * 64}
    assert client.get("/proxy/launcher", query_string=forged).status_code == 401
