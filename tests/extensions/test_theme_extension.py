"""The Shopify theme app extension is laid out as Shopify builds theme app extensions, within the size limits
Shopify documents, and every block's schema, asset, snippet and translation it names is there."""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extensions" / "sadakat-rewards"
BLOCKS = sorted((EXTENSION / "blocks").glob("*.liquid"))
LIQUID = [*BLOCKS, *(EXTENSION / "snippets").glob("*.liquid")]
# Shopify's limits for theme app extensions (shopify.dev, theme app extensions: file and content size limits).
MAX_TOTAL_BYTES = 10 * 1024 * 1024
MAX_LIQUID_BYTES = 100 * 1024
MAX_LOCALE_BYTES = 15 * 1024
MAX_BLOCKS = 30
MAX_SETTINGS_PER_BLOCK = 25
MAX_JS_GZIPPED = 10_000  # Theme Check's AssetSizeAppBlockJavaScript threshold
MAX_CSS_GZIPPED = 100_000  # AssetSizeAppBlockCSS
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)


def schema(block: Path) -> dict:
    [found] = SCHEMA.findall(block.read_text())
    return json.loads(found)


def flat(tree: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in tree.items():
        keys |= flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


def texts(tree: dict, prefix: str = "") -> dict[str, str]:
    found = {}
    for key, value in tree.items():
        found |= texts(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key: value}
    return found


def test_the_layout_is_a_theme_app_extensions() -> None:
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme" and config["name"]
    assert {p.name for p in EXTENSION.iterdir()} == {
        "shopify.extension.toml",
        "blocks",
        "assets",
        "snippets",
        "locales",
    }
    assert {p.name for p in (EXTENSION / "locales").iterdir()} == {
        "en.default.json",
        *(f"{lang}.json" for lang in ("tr", "de", "fr", "es", "ar")),
    }
    assert [b.name for b in BLOCKS] == ["launcher.liquid", "product_points.liquid", "summary.liquid"]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_each_block_has_a_valid_schema(block: Path) -> None:
    found = schema(block)
    assert 0 < len(found["name"]) <= 25
    assert found["target"] in ("section", "body", "head")
    settings = found["settings"]
    assert len(settings) <= MAX_SETTINGS_PER_BLOCK
    assert len({s["id"] for s in settings}) == len(settings)
    for setting in settings:
        assert setting["type"] in ("text", "textarea", "select", "color", "checkbox", "range", "url")
        assert setting["label"] and re.fullmatch(r"[a-z_]+", setting["id"])
        if setting["type"] == "color":
            assert re.fullmatch(r"#[0-9a-f]{6}", setting["default"])
        if setting["type"] == "select":
            assert setting["default"] in {o["value"] for o in setting["options"]}
    text = SCHEMA.sub("", block.read_text())
    for name in re.findall(r"block\.settings\.(\w+)", text):
        assert name in {s["id"] for s in settings}, f"{block.name} uses an unknown setting {name}"
    if "stylesheet" in found:
        assert (EXTENSION / "assets" / found["stylesheet"]).is_file()


def test_the_launcher_is_an_app_embed_and_the_summary_and_product_points_app_blocks() -> None:
    targets = {b.name: schema(b)["target"] for b in BLOCKS}
    assert targets == {"launcher.liquid": "body", "summary.liquid": "section", "product_points.liquid": "section"}


def test_the_product_block_adds_no_script() -> None:
    text = (EXTENSION / "blocks" / "product_points.liquid").read_text()
    assert (
        "<script" not in text
        and "script_tag" not in text
        and "javascript" not in schema(EXTENSION / "blocks" / "product_points.liquid")
    )


def test_assets_snippets_and_translations_named_are_there() -> None:
    english = json.loads((EXTENSION / "locales" / "en.default.json").read_text())
    for lang in ("tr", "de", "fr", "es", "ar"):
        other = json.loads((EXTENSION / "locales" / f"{lang}.json").read_text())
        assert flat(other) == flat(english), lang
        left = {k for k in flat(english) if texts(other)[k] == texts(english)[k]}
        assert not left, f"{lang} leaves {left} in English"
    for path in LIQUID:
        text = path.read_text()
        for asset in re.findall(r"'([\w.-]+)'\s*\|\s*asset_url", text):
            assert (EXTENSION / "assets" / asset).is_file(), asset
        for snippet in re.findall(r"{%-?\s*render\s+'([\w-]+)'", text):
            assert (EXTENSION / "snippets" / f"{snippet}.liquid").is_file(), snippet
        for key in re.findall(r"'([a-z_]+\.[a-z_.]+)'\s*\|\s*t\b", text):
            assert key in flat(english), f"{path.name}: no translation {key}"
        for opening, closing in (
            ("if", "endif"),
            ("for", "endfor"),
            ("comment", "endcomment"),
            ("schema", "endschema"),
        ):
            opened = len(re.findall(rf"{{%-?\s*{opening}\b", text))
            assert opened == len(re.findall(rf"{{%-?\s*{closing}\b", text)), f"{path.name}: unbalanced {opening}"


def test_the_extension_stays_within_shopifys_limits() -> None:
    files = [p for p in EXTENSION.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= MAX_TOTAL_BYTES
    assert sum(p.stat().st_size for p in LIQUID) <= MAX_LIQUID_BYTES
    assert len(BLOCKS) <= MAX_BLOCKS
    for locale in (EXTENSION / "locales").iterdir():
        assert locale.stat().st_size <= MAX_LOCALE_BYTES
    for asset in (EXTENSION / "assets").iterdir():
        limit = MAX_JS_GZIPPED if asset.suffix == ".js" else MAX_CSS_GZIPPED
        assert len(gzip.compress(asset.read_bytes())) <= limit, asset.name


def test_the_launcher_asset_is_the_one_sadakat_serves() -> None:
    served = ROOT / "connector" / "web" / "static" / "launcher.js"
    assert (EXTENSION / "assets" / "launcher.js").read_text() == served.read_text()


def test_the_app_declares_the_proxy_the_extension_calls() -> None:
    app = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    proxy = app["app_proxy"]
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "sadakat") and proxy["url"].endswith("/proxy")
    defaults = {s["id"]: s.get("default") for b in BLOCKS for s in schema(b)["settings"]}
    assert defaults["proxy_path"] == "/apps/sadakat"
