"""Renders of Shopify's extensions in real Chromium, in English and Turkish, at 360 and 1280 px: the customer
account profile and order blocks and the thank-you block (their views, with a stylesheet standing for
Shopify's components), and a product page with the product block's Liquid output. Each fits the screen and
reads right; with SADAKAT_SCREENSHOTS set, they are the docs' pictures."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from connector.outbox.perform import theme_json
from connector.programme import ProgrammeSettings
from tests.browser.test_after_delivery_browser import WIDTHS, browser, fits, tab  # noqa: F401
from tests.browser.test_rewards_browser import shoot
from tests.extensions.test_product_block import render

EXTENSIONS = Path(__file__).resolve().parents[2] / "extensions"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (EXTENSIONS / "node_modules").is_dir(),
    reason="node and the extensions' packages (make extensions) are needed to render the extensions",
)
WORDS = {
    "en": {"profile": "You have 1080 points", "confirm": "Spend 500 points for 5.00 USD?",
           "order": "This order earned 414 points.", "thank-you": "Create an account to keep them."},
    "tr": {"profile": "1080 puanınız var", "confirm": "5,00 USD için 500 puan harcansın mı?",
           "order": "Bu sipariş 414 puan kazandırdı.", "thank-you": "Onları kaybetmemek için bir hesap açın."},
}  # fmt: skip


@pytest.fixture(scope="module")
def previews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("previews")
    subprocess.run(["node", "preview.mjs", str(folder)], cwd=EXTENSIONS, check=True, capture_output=True)
    yield folder


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_customer_account_and_thank_you_blocks_render_and_fit(
    browser: Browser,  # noqa: F811
    previews: Path,
    width: int,
    lang: str,
) -> None:
    page = tab(browser, width)
    for name in ("profile", "order", "thank-you"):
        page.goto((previews / f"{name}-{lang}.html").as_uri())
        expect(page.locator("body")).to_contain_text(WORDS[lang][name])
        if name == "profile":
            expect(page.locator("body")).to_contain_text(WORDS[lang]["confirm"])
        fits(page)
        shoot(page, f"extension-{name}-{lang}-{width}")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_product_page_says_what_it_earns_with_no_script(browser: Browser, width: int, tmp_path: Path) -> None:  # noqa: F811
    programme = theme_json(
        ProgrammeSettings.from_dict({"tiers": [{"name": "Gold", "min_spend": "500", "multiplier": "2"}]}), "USD"
    )
    line = render(programme, 4295, "Gold")
    page_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Linen shirt</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:24px}}.points{{color:#0f766e}}</style></head>
<body><h1>Linen shirt</h1><p>42.95 USD</p><p class="points">{line}</p><button>Add to cart</button></body></html>"""
    (tmp_path / "product.html").write_text(page_html)
    page = tab(browser, width)
    page.goto((tmp_path / "product.html").as_uri())
    expect(page.locator(".points")).to_have_text("Earn 42 points (85 as Gold)")
    assert page.evaluate("document.scripts.length") == 0
    fits(page)
    shoot(page, f"product-points-{width}")
    page.context.close()
