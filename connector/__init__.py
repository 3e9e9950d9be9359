"""Sadakat: a loyalty programme connector for Shopify and WooCommerce."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from connector.config import Config


def create_app(config: Config | None = None) -> Flask:
    """Build the web app (see :func:`connector.web.app.create_app`); imported late so that adapters may use
    the connector's storage without an import cycle."""
    from connector.web.app import create_app as build

    return build(config)
