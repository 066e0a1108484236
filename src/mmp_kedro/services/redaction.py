"""Secrets kept out of messages: logins in URLs and library errors shown as ``***``."""

from __future__ import annotations

import re

import sqlalchemy as sa


def redacted_text(text: str) -> str:
    """``text`` with the login of every ``scheme://user:password@`` in it as ``***``
    (for messages that quote a library's error, which may quote a URL)."""
    return re.sub(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]*@", r"\1***@", text)


def redacted_url(url: str) -> str:
    """``url`` with its password, if any, shown as ``***`` (fit for a message)."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        # Unparseable: hide whatever could be a login.
        return re.sub(r"://[^/@]*@", "://***@", url)
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def without_secret(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` (a password) as ``***``."""
    return text.replace(secret, "***") if secret else text


#: ``NAME=value`` or ``name: value`` where the name says it holds a secret.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)([\w.-]*(?:password|passwd|secret|token|key)[\w.-]*\s*[=:]\s*)\S+"
)

EXCERPT_LENGTH = 20


def redacted_excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """At most ``length`` characters of ``text`` (a line of a file that failed to
    parse), logins and secret-looking assignments shown as ``***``."""
    text = _SECRET_ASSIGNMENT.sub(r"\1***", redacted_text(text))
    return text if len(text) <= length else text[: length - 1] + "…"
