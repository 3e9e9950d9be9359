"""The launcher script a merchant pastes into any site: the shop's colour, language and offer, small, and it
sets no cookie and names no one else's server."""

from __future__ import annotations

import gzip
import json
import re

from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings

MAX_GZIPPED = 15 * 1024


def config(script: str) -> dict:
    call = script.rsplit("\nsadakatLauncher(", 1)
    assert len(call) == 2 and call[1].endswith(");\n"), "the script doesn't start the launcher"
    return json.loads(call[1].removesuffix(");\n"))


def test_the_script_carries_the_shops_colour_language_and_offer(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"colour": "#1d4ed8", "locale": "tr", "earn_rate": "2"})
    answer = client.get(f"/rewards/{woo_shop.handle}/launcher.js?position=left")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert "Set-Cookie" not in answer.headers
    settings = config(answer.get_data(as_text=True))
    assert settings["colour"] == "#1d4ed8" and settings["position"] == "left"
    assert settings["label"] == "Ödüller" and settings["see"] == "Ödüllerimi gör"
    assert settings["page"].endswith(f"/rewards/{woo_shop.handle}?lang=tr")
    assert any("2 puan" in line for line in settings["summary"])
    english = config(client.get(f"/rewards/{woo_shop.handle}/launcher.js?lang=en").get_data(as_text=True))
    assert english["label"] == "Rewards"
    assert client.get("/rewards/12345/launcher.js").status_code == 404


def test_the_script_is_small_and_calls_no_one(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    script = client.get(f"/rewards/{woo_shop.handle}/launcher.js").get_data()
    assert len(gzip.compress(script)) <= MAX_GZIPPED
    code = script.decode().rsplit("sadakatLauncher(", 1)[0]
    assert not re.search(r"https?://", code)  # only the page link in its settings leaves for our host
    assert "document.cookie" not in code and "localStorage" not in code


def test_text_from_the_shop_cannot_close_the_script(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    with storage.session() as session:
        session.get(Shop, woo_shop.id).domain = "</script><script>alert(1)</script>"  # type: ignore[union-attr]
    change_settings(storage, woo_shop.id, {"gifts": [{"rule": "first_order", "value": "5"}]})
    script = client.get(f"/rewards/{woo_shop.handle}/launcher.js").get_data(as_text=True)
    assert "</script>" not in script
