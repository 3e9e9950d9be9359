"""The Flask app: the receiver, install flows, the storefront API, health and the admin."""
