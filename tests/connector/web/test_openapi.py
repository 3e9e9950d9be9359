"""The HTTP API's description: a valid OpenAPI 3.1 document at /openapi.json that names every JSON route the
app has (a route without a description fails here), rendered for people at /admin/api/docs from our own
files, and the app fuzzed against it with schemathesis (bounded and seeded, so a run is repeatable): no
5xx, and every status code, content type and body as the document promises."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from redis import Redis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from connector.db.tables import Shop
from connector.web.api_docs import document
from tests.support import ADMIN_TOKEN, AUTH, drain, fixture, login, post_woo

NOT_JSON = re.compile(
    r"^/(admin(?!/api/)|rewards/<shop_id>(/(redeem|birthday|sign-in|sign-out|enter|colours\.css|launcher\.js))?$|"
    r"static/|favicon\.ico$|proxy$|proxy/rewards/|surveys/|unsubscribe/|<platform>/(install|connect|callback|return)$|shopify/admin$|"
    r"admin/api/docs|openapi/swagger-ui/)"
)
"""Routes that answer pages, forms, scripts or redirects for people, not JSON for programs."""


def _openapi_path(rule: str) -> str:
    path = re.sub(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)
    return path.replace("{shop_id}", "{shop}") if path.startswith(("/rewards/", "/r/")) else path


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200 and answer.is_json
    described = answer.get_json()
    assert described["openapi"] == "3.1.0"
    validate(described)


def test_every_json_route_is_described_and_nothing_else(app: Flask) -> None:
    routes = {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
        if not NOT_JSON.search(rule.rule)
    }
    routes -= {("/r/{shop}/{code}", "get")}  # the friend's page; its POST answers JSON to a script
    described = {(path, method) for path, item in document()["paths"].items() for method in item}
    assert sorted(routes - described) == [], "routes with no description"
    assert sorted(described - routes) == [], "descriptions of routes that don't exist"
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary") and operation.get("responses"), (method, path)


def test_people_read_it_at_admin_api_docs_from_our_own_files(client: FlaskClient) -> None:
    assert client.get("/admin/api/docs").status_code == 302  # the login page first
    assert login(client).status_code == 302
    page = client.get("/admin/api/docs").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert asset.startswith("/"), f"{asset} is not ours"
        assert client.get(asset).status_code == 200, asset


def test_the_admin_api_shows_an_adjustments_reason_and_who_made_it(
    client: FlaskClient, woo_shop: Shop, redis: Redis
) -> None:
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json") | {"customer_id": 25})
    drain(redis)
    url = f"/admin/api/shops/{woo_shop.id}/customers/john.doe@example.com"
    body = {"points": 25, "reason": "Sorry for the wait", "key": "k1"}
    assert client.post(f"{url}/adjustments", json=body, headers=AUTH).status_code == 201
    entries = client.get(url, headers=AUTH).get_json()["entries"]
    adjustment = next(e for e in entries if e["kind"] == "adjustment")
    assert (adjustment["note"], adjustment["actor"]) == ("Sorry for the wait", "admin API")
    order = next(e for e in entries if e["kind"] == "order")
    assert (order["note"], order["actor"]) == (None, None)


FUZZED = settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
"""Bounded and seeded: the same examples every run."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_app_answers_as_its_description_says(app: Flask, woo_shop: Shop) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # every operation but /openapi.json itself, which schemathesis leaves out
    assert len(operations) == sum(len(item) for item in document()["paths"].values()) - 1
    for operation in operations:

        @FUZZED
        @given(case=operation.as_strategy())
        def answers(case: Any) -> None:
            if "shop_id" in case.path_parameters:
                case.path_parameters["shop_id"] = woo_shop.id  # a shop that exists; others are one 404 each
            if "shop" in case.path_parameters:
                case.path_parameters["shop"] = woo_shop.handle
            headers = {}
            if case.path.startswith(("/admin/", "/metrics")):
                headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            elif case.path.startswith("/api/shops/"):
                headers["Authorization"] = f"Bearer {woo_shop.customer_api_key}"
            case.call_and_validate(headers=headers, checks=CHECKS)

        answers()
