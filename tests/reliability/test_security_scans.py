"""Security checks over the whole code base: every route guarded, every form CSRF-protected, every
signature compared in constant time."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask

from connector.db.tables import Shop

ROOT = Path(__file__).resolve().parents[2]
# Routes open to the internet, each with its own check: a webhook signature, an install's one-time state,
# the app proxy's signature or the shop's customer API key, or nothing secret at all.
PUBLIC_BLUEPRINTS = {
    "webhooks",
    "install",
    "storefront",
    "health",
    "surveys",
    "referrals",
    "rewards",
    "rewards_proxy",
    "launcher",
}  # signed links, public pages; the rewards page's own session
PUBLIC_ENDPOINTS = {
    "static",
    "admin_auth.login",
    "admin_auth.logout",
    "admin_auth.language",
    "admin_auth.sign_in_page",  # asks for an e-mailed link: the same answer for every address
    "admin_auth.sign_in_link",  # the link's own single-use token
    "api_docs.openapi",  # the API's description: no secret, no shop's data
    "api_docs.swagger_file",  # Swagger UI's own script and stylesheet
}
MAC_CALLS = re.compile(r"hmac\.new|digest\(|b64encode\(")
SECRET_NAMES = re.compile(r"signature|hmac|digest|token|secret|password|api_key", re.IGNORECASE)


def _sample(found: re.Match[str]) -> str:
    """A value each route placeholder accepts: the first choice of an ``any(...)``, else 1."""
    converter = found.group(1) or ""
    return converter[4:].split(",")[0].strip(" )") if converter.startswith("any(") else "1"


def test_every_other_route_refuses_a_stranger(app: Flask, offline_shopify_shop: Shop) -> None:
    client = app.test_client()
    guarded = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint in PUBLIC_BLUEPRINTS or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = re.sub(r"<(?:([^:>]+):)?([^>]+)>", _sample, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method)
            assert answer.status_code in (302, 401), f"{method} {url} answered {answer.status_code} to a stranger"
            guarded.append(f"{method} {rule.rule}")
    assert "GET /metrics" in guarded
    assert len(guarded) >= 20


# The pages a store's customer opens from an e-mail or a friend's link have no session: each form carries a
# token signed for it instead (a survey comment, an unsubscribe, a referral claim), which a forged request
# can't know either.
# The rewards page's forms carry its session's token, or one signed for the visitor; its sign-in button the
# link's own single-use token.
SIGNED_LINK_PAGES = {
    "customer.html": 'name="t" value="{{',
    "referral.html": 'name="t" value="{{',
    "rewards/content.html": 'name="csrf" value="{{ csrf }}"',
    "rewards/page.html": 'name="t" value="{{',
}


def test_every_post_form_carries_the_csrf_token() -> None:
    forms = 0
    templates = ROOT / "connector" / "web" / "templates"
    for template in templates.rglob("*.html"):
        name = template.relative_to(templates).as_posix()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", template.read_text(), flags=re.S):
            if 'method="post"' in form:
                forms += 1
                token = SIGNED_LINK_PAGES.get(name, 'name="csrf_token" value="{{ csrf_token() }}"')
                assert token in form, f"{name}: {form[:120]}"
    assert forms >= 8


def _computed_macs(function: ast.AST) -> set[str]:
    """Names a function assigns a computed MAC or digest to (``expected = b64encode(hmac.new(...).digest())``)."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and MAC_CALLS.search(ast.unparse(node.value)):
            names |= {ast.unparse(target) for target in node.targets}
    return names


def test_secrets_are_never_compared_with_equals() -> None:
    offenders = []
    for path in [*(ROOT / "connector").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]:
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            macs = _computed_macs(function)
            for node in ast.walk(function):
                if not (isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)):
                    continue
                parts = [node.left, *node.comparators]
                if any(isinstance(part, ast.Constant) for part in parts):
                    continue  # a field's name or None, not a secret's value
                # A column or attribute is named by its own name (``ApiToken.shop_id`` is a shop's number).
                texts = [part.attr if isinstance(part, ast.Attribute) else ast.unparse(part) for part in parts]
                if any(SECRET_NAMES.search(t) or MAC_CALLS.search(t) or t in macs for t in texts):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == [], "compare secrets with hmac.compare_digest:\n" + "\n".join(offenders)


def test_html_pages_send_security_headers(app: Flask) -> None:
    client = app.test_client()
    for url in ("/admin/login", "/shopify/callback"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"
