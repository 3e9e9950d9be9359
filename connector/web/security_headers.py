"""Headers every answer carries: no MIME sniffing; for HTML, a content security policy that allows only
our own stylesheet and script and forbids framing (clickjacking the admin's Retry and Discard buttons)."""

from __future__ import annotations

from flask import Flask, Response, request

ADMIN_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The install pages style themselves inline and have no script or form.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def register_security_headers(app: Flask) -> None:
    """Add the headers to every response of ``app``."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            admin = request.path.startswith("/admin")
            response.headers.setdefault("Content-Security-Policy", ADMIN_CSP if admin else PAGE_CSP)
            if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:  # not the embedded app's
                response.headers.setdefault("X-Frame-Options", "DENY")
            if admin:
                response.headers.setdefault("Cache-Control", "no-store")
        return response
