"""Sadakat: a loyalty programme connector for Shopify and WooCommerce."""

from connector.app import create_app

__all__ = ["create_app"]
