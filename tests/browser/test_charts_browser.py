"""The admin's charts in a real browser (Debian's Chromium): at 360 px and 1280 px and for values from 0 to
10^9, every label lies inside its drawing, a tiny second series stays visible, and an empty chart says so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from connector.web.admin.charts import Series, bar_list, column_chart
from connector.web.admin.texts import text_for
from tests.browser.test_after_delivery_browser import tab
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
CSS = (Path(__file__).resolve().parents[2] / "connector" / "web" / "static" / "admin.css").read_text()
DAYS = [f"11-{d:02}" for d in range(1, 31)]
OUTSIDE = """() => [...document.querySelectorAll("svg")].flatMap((svg) => {
  const box = svg.viewBox.baseVal;
  return [...svg.querySelectorAll("text")].map((label) => [label.textContent, label.getBBox()])
    .filter(([, b]) => b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5
                      || b.y + b.height > box.y + box.height + 0.5)
    .map(([text]) => text);
})"""


def charts(lang: str) -> str:
    t = text_for(lang)
    drawn = []
    for top in (0, 1, 9, 999, 33_402, 10**6, 123_456_789, 10**9):
        values = [top * (i % 7) // 6 for i in range(30)]
        drawn.append(column_chart(f"up to {top}", DAYS, [Series("a", values, "bar")], t.number, "empty"))
    drawn.append(
        column_chart(
            "tiny beside huge",
            DAYS,
            [Series("issued", [10**9] * 30, "bar"), Series("redeemed", [500] * 30, "bar2")],
            t.number,
        )
    )
    drawn.append(bar_list("segments", [("Hibernating customers", 10**9, "long ago"), ("New", 1, "")], t.number))
    drawn.append(bar_list("nothing", [], t.number, "empty"))
    grid = "".join(f"<div>{chart}</div>" for chart in drawn)
    body = f'<main><div class="charts">{grid}</div></main>'
    return f"<!doctype html><html><head><style>{CSS}</style></head><body>{body}</body></html>"


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_every_label_fits_its_chart_at_every_magnitude(browser: Browser, width: int, lang: str) -> None:  # noqa: F811
    page = tab(browser, width)
    page.set_content(charts(lang))
    assert page.evaluate(OUTSIDE) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    tiny = page.locator("figure", has_text="tiny beside huge").locator("rect.bar2").first
    assert float(tiny.get_attribute("height") or 0) > 50  # on an axis of its own, not a sliver
    assert page.locator("figure", has_text="up to 0").locator("text.empty").text_content() == "empty"
    assert page.locator("figure", has_text="nothing").locator("text.empty").count() == 1
    page.context.close()
