"""The errors every layer raises when a request can't be carried out, typed by what went wrong, in plain
words that name the field. The web maps each type to its status code in one place
(connector/web/errors.py); the command line prints the words."""

from __future__ import annotations


class Refused(Exception):
    """A request Sadakat can't carry out; ``status`` is the HTTP answer it is."""

    status = 400


class Invalid(Refused, ValueError):
    """A value that can't be used (400)."""

    status = 400


class Forbidden(Refused):
    """Not for whoever asks: their role doesn't allow it (403)."""

    status = 403


class NotFound(Refused, LookupError):
    """Nothing of that name here (404)."""

    status = 404


class Conflict(Refused):
    """Not possible in the state things are in: already done, would go below zero, over a limit (409)."""

    status = 409


class TooMany(Refused):
    """Too many tries for now (429)."""

    status = 429
