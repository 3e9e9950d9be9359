"""Store addresses a user names are called only when they are public: no request forgery through the
WooCommerce connect flow, the callback, or any later call (store check, backfill, pushes)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis

from adapters.base import PermanentStoreError, RetryableStoreError, ShopAccess
from adapters.woocommerce import api
from connector.db.storage import Storage
from connector.web.install import STATE_PREFIX
from tests.connector.web.test_install import shops, woo_keys


class Listener:
    """A loopback server that counts the connections it is offered."""

    def __init__(self, family: int, host: str) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listeners() -> Iterator[tuple[Listener, Listener]]:
    """One on 127.0.0.1 and one on ::1, on the same port number where it can be had."""
    v4 = Listener(socket.AF_INET, "127.0.0.1")
    v6 = Listener(socket.AF_INET6, "::1")
    yield v4, v6
    v4.close()
    v6.close()


@pytest.fixture
def real_network() -> None:
    """Let calls through to the network stack (only loopback listeners are there to answer)."""
    responses.add_passthru(re.compile(r"https?://"))


def loopback_forms(v4: int, v6: int) -> list[str]:
    return [
        f"https://127.0.0.1:{v4}",
        f"https://localhost:{v4}",
        f"https://2130706433:{v4}",
        f"https://0x7f000001:{v4}",
        f"https://0177.0.0.1:{v4}",
        f"https://127.1:{v4}",
        f"https://[::1]:{v6}",
        f"https://[::ffff:127.0.0.1]:{v4}",
        f"https://0.0.0.0:{v4}",
    ]


def test_no_call_reaches_a_loopback_address_in_any_form(
    listeners: tuple[Listener, Listener], real_network: None
) -> None:
    v4, v6 = listeners
    for url in loopback_forms(v4.port, v6.port):
        shop = ShopAccess(
            shop_id=1, domain="x", base_url=url, credentials={"consumer_key": "ck", "consumer_secret": "cs"}
        )
        with pytest.raises(PermanentStoreError, match="not a public internet address"):
            api.list_webhooks(shop)
    assert (v4.connections, v6.connections) == (0, 0)


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.7", "https://192.168.1.1", "https://169.254.169.254", "https://[fe80::1]", "https://224.0.0.1"],
)
def test_private_link_local_and_multicast_addresses_are_refused(url: str, real_network: None) -> None:
    shop = ShopAccess(shop_id=1, domain="x", base_url=url, credentials={"consumer_key": "ck", "consumer_secret": "cs"})
    with pytest.raises(PermanentStoreError, match="not a public internet address"):
        api.list_webhooks(shop)


def test_a_store_that_cannot_be_resolved_now_is_retried_later(real_network: None) -> None:
    shop = ShopAccess(
        shop_id=1,
        domain="x",
        base_url="https://no-such-store.invalid",
        credentials={"consumer_key": "ck", "consumer_secret": "cs"},
    )
    with pytest.raises(RetryableStoreError, match="could not be found"):
        api.list_webhooks(shop)


def test_private_addresses_can_be_allowed_for_development(
    listeners: tuple[Listener, Listener], real_network: None
) -> None:
    v4, _ = listeners
    shop = ShopAccess(
        shop_id=1,
        domain="x",
        base_url=f"http://127.0.0.1:{v4.port}",
        credentials={"consumer_key": "ck", "consumer_secret": "cs"},
        allow_private=True,
    )
    with pytest.raises(RetryableStoreError):
        api.list_webhooks(shop)  # the listener hangs up at once
    assert v4.connections == 1


def test_redirects_are_not_followed(listeners: tuple[Listener, Listener]) -> None:
    v4, _ = listeners
    store = "https://woo-redirects.example.com"
    responses.get(
        f"{store}/wp-json/wc/v3/webhooks",
        status=302,
        headers={"Location": f"http://127.0.0.1:{v4.port}/latest/meta-data/"},
    )
    shop = ShopAccess(
        shop_id=1, domain="x", base_url=store, credentials={"consumer_key": "ck", "consumer_secret": "cs"}
    )
    with pytest.raises(PermanentStoreError, match="did not answer as a WooCommerce store: it answered with a redirect"):
        api.list_webhooks(shop)
    assert len(responses.calls) == 1 and v4.connections == 0


def test_connect_refuses_every_loopback_form_and_keeps_no_state(
    client: FlaskClient, redis: Redis, listeners: tuple[Listener, Listener]
) -> None:
    v4, v6 = listeners
    for url in loopback_forms(v4.port, v6.port):
        response = client.get("/woocommerce/connect", query_string={"store_url": url})
        assert response.status_code == 400, url
        assert "public internet" in response.get_data(as_text=True)
    assert redis.keys(STATE_PREFIX + "*") == []
    assert (v4.connections, v6.connections) == (0, 0)


def test_a_callback_for_a_store_whose_name_now_resolves_privately_calls_nothing(
    client: FlaskClient, redis: Redis, storage: Storage, listeners: tuple[Listener, Listener], real_network: None
) -> None:
    v4, _ = listeners
    # As if the name had resolved publicly at connect and privately by the callback (DNS rebinding).
    issued = {"platform": "woocommerce", "domain": "rebind.example", "base_url": f"https://127.0.0.1:{v4.port}"}
    redis.set(STATE_PREFIX + "rebound", json.dumps(issued), ex=60)
    response = client.post("/woocommerce/callback", json=woo_keys("rebound"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "the store did not answer as a WooCommerce store" in page
    assert "SSLError" not in page and "Timeout" not in page
    assert v4.connections == 0 and shops(storage) == []


@pytest.mark.parametrize(
    "url", ["https://[::1]:9911", "https://x.example:99999", "https://[zz]", "https://" + "a" * 500]
)
def test_malformed_store_urls_are_a_clear_400(client: FlaskClient, url: str) -> None:
    response = client.get("/woocommerce/connect", query_string={"store_url": url})
    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers


def test_connect_requests_are_limited_per_client_address(client: FlaskClient, redis: Redis) -> None:
    answers = [
        client.get("/woocommerce/connect", query_string={"store_url": "https://woo-many.example.com"}).status_code
        for _ in range(22)
    ]
    assert answers[:20] == [302] * 20 and answers[20:] == [429, 429]
    assert len(redis.keys(STATE_PREFIX + "*")) == 20
