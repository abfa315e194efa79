"""Who gets a page and who gets JSON, when one path serves both.

A browser's navigation asks for `text/html` ahead of everything else; API clients ask for JSON or
for anything (`*/*`, curl's and httpx's default), and keep getting JSON. htmx's requests name
themselves (`HX-Request`) and get the page fragment they target.
"""

from __future__ import annotations

from collections.abc import Mapping


def _qualities(accept: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        kind, *params = (piece.strip() for piece in part.split(";"))
        if not kind:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[kind.lower()] = max(quality, qualities.get(kind.lower(), 0.0))
    return qualities


def _quality(qualities: Mapping[str, float], kind: str) -> float:
    family = kind.split("/")[0]
    for candidate in (kind, f"{family}/*", "*/*"):
        if candidate in qualities:
            return qualities[candidate]
    return 0.0


def prefers_html(headers: Mapping[str, str]) -> bool:
    """True for a browser's page request or an htmx request; False for an API client."""
    if headers.get("hx-request") == "true":
        return True
    qualities = _qualities(headers.get("accept", ""))
    html = _quality(qualities, "text/html")
    return html > 0 and html > _quality(qualities, "application/json")


def htmx_target(headers: Mapping[str, str]) -> str | None:
    """The id of the element an htmx request will swap, or None for a whole page (a history
    restore asks for the whole page too)."""
    if headers.get("hx-request") != "true" or headers.get("hx-history-restore-request") == "true":
        return None
    return headers.get("hx-target")
