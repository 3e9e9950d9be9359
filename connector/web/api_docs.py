"""The HTTP API described: ``/openapi.json`` (OpenAPI 3.1, kept in ``openapi.yaml`` beside this module and
checked against the routes and the answers by the tests) and ``/admin/api/docs``, Swagger UI served from our
own files (the ``swagger-ui-py`` package's), no CDN."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import swagger_ui
import yaml
from flask import Blueprint, Response, jsonify, redirect, render_template, send_from_directory, url_for
from flask.typing import ResponseReturnValue

from connector.web.admin.auth import bearer_ok, session_ok

bp = Blueprint("api_docs", __name__)
DOCUMENT = Path(__file__).with_name("openapi.yaml")
SWAGGER_UI = Path(swagger_ui.__file__).parent / "static"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return yaml.safe_load(DOCUMENT.read_text())


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API's description (public: it holds no secret and no shop's data)."""
    response = jsonify(document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/admin/api/docs")
def docs() -> ResponseReturnValue:
    """The description for people, for a signed-in admin."""
    if not (bearer_ok() or session_ok()):
        return redirect(url_for("admin_auth.login", next="/admin/api/docs"))
    return render_template("admin/api_docs.html")


@bp.get("/openapi/swagger-ui/<any(" + ", ".join(f'"{name}"' for name in SWAGGER_FILES) + "):name>")
def swagger_file(name: str) -> Response:
    """Swagger UI's script and stylesheet, as the package ships them (public: a library's files)."""
    return send_from_directory(SWAGGER_UI, name, max_age=86400)
