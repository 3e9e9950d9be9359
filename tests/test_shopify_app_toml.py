"""shopify.app.toml declares what the Shopify adapter actually consumes."""

import tomllib
from pathlib import Path

from adapters import get_adapter
from adapters.shopify.api import WEBHOOK_TOPICS
from adapters.shopify.queries import API_VERSION
from connector.config import DEFAULT_SHOPIFY_SCOPES

APP = tomllib.loads((Path(__file__).resolve().parents[1] / "shopify.app.toml").read_text())


def test_topics_scopes_and_version_match_the_code() -> None:
    topics, compliance = APP["webhooks"]["subscriptions"]
    consumed = set(get_adapter("shopify").topics)
    assert set(topics["topics"]) | set(compliance["compliance_topics"]) == consumed
    assert set(compliance["compliance_topics"]) == {"customers/data_request", "customers/redact", "shop/redact"}
    assert {t.replace("/", "_").upper() for t in topics["topics"]} == set(WEBHOOK_TOPICS)
    assert APP["access_scopes"]["scopes"] == DEFAULT_SHOPIFY_SCOPES
    assert APP["webhooks"]["api_version"] == API_VERSION
    assert all(s["uri"].endswith("/webhooks/shopify") for s in (topics, compliance))
    assert APP["auth"]["redirect_urls"][0].endswith("/shopify/callback")
    assert APP["embedded"] is True and APP["application_url"].endswith("/shopify/admin")
