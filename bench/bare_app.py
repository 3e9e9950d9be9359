"""The ceiling: a bare Flask app that answers "ok" to the webhook path, run under the same gunicorn
settings and loaded by the same client as Sadakat's receiver."""

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/shopify")
def ok() -> str:
    """Read the body, as a receiver must, and answer."""
    from flask import request

    request.get_data()
    return "ok"
