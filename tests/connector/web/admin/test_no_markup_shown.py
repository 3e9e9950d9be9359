"""Every admin and customer page, after a simulated history, in English and Turkish: no markup, escaped
markup, raw ISO timestamp or internal snake_case identifier is ever shown as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.ops.shops import change_settings
from connector.ops.supervisor import DEMO_PROGRAMME
from tests.support import drain, form_csrf, login

HIDDEN = {"script", "style", "code", "pre", "textarea", "title", "option"}
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SNAKE = re.compile(r"(?<![\w@./:-])[a-z]+(?:_[a-z]+)+(?![\w@./-])")


class VisibleText(HTMLParser):
    """The text a person sees: outside scripts, styles, code and form values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


@pytest.fixture
def history(client: FlaskClient, server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    change_settings(storage, sandbox_shop.id, DEMO_PROGRAMME)
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--shop",
            str(sandbox_shop.id),
            "--orders",
            "40",
            "--seed",
            "3",
            "--url",
            server_url,
            "--wait",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    drain(redis)
    drain(redis)
    with storage.session() as session:  # figures from a roll-up, as a large shop's are shown
        session.execute(update(Shop).where(Shop.id == sandbox_shop.id).values(segmented_at=utcnow()))
    return sandbox_shop


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_no_page_shows_markup_timestamps_or_identifiers(
    client: FlaskClient, history: Shop, storage: Storage, lang: str
) -> None:
    assert login(client).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/admin/language", data={"lang": lang, "csrf_token": form_csrf(page)})
    with storage.session() as session:
        customer_id = session.scalars(select(CustomerRecord.id).where(CustomerRecord.shop_id == history.id)).first()
    shop = f"/admin/shops/{history.id}"
    paths = [
        "/admin/",
        shop,
        f"{shop}/programme",
        f"{shop}/customers",
        f"{shop}/customers/{customer_id}",
        f"{shop}/care",
        f"{shop}/referrals",
        f"{shop}/events",
        "/admin/mail",
        f"/rewards/{history.handle}?lang={lang}",
    ]
    found = []
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        for text in visible(answer.get_data(as_text=True)):
            for problem in ("<", "&lt;", "&gt;"):
                if problem in text:
                    found.append((path, text))
            if ISO.search(text) or SNAKE.search(text):
                found.append((path, text))
    assert found == []


def figures(html: str, start: str) -> dict[str, str]:
    part = html[html.index(start) :]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", part[: part.index("</dl>")]))


def test_the_overview_and_the_shop_page_show_the_same_figures(client: FlaskClient, history: Shop) -> None:
    """Right after `simulate` (no hourly roll-up yet): the overview said 0 active members and 0 / 0 codes."""
    assert login(client).status_code == 302
    overview = figures(client.get("/admin/").get_data(as_text=True), f'id="glance-{history.id}"')
    shop = figures(client.get(f"/admin/shops/{history.id}").get_data(as_text=True), 'class="figures"')
    for name in ("Members", "Active members (90 days)", "Gift codes issued / used"):
        assert overview[name] == shop[name], (name, overview, shop)
    assert overview["Active members (90 days)"] != "0" and not overview["Gift codes issued / used"].startswith("0 ")
