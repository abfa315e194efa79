"""Security headers on every answer of the app.

The pages load scripts and styles only from this server, never inline (htmx is configured by a
meta tag not to inject its indicator style, and no template holds a `<script>` body or a `style=`),
so the policy forbids inline code outright: injected markup that escaped the templates' escaping
still could not run. FastAPI's own documentation pages (/docs, /redoc) load a CDN and inline code,
so they keep everything but the policy.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
_DOCUMENTATION = ("/docs", "/redoc")


class SecurityHeaders:
    """ASGI middleware: adds the headers unless the answer set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = not str(scope.get("path", "")).startswith(_DOCUMENTATION)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.encode(), value.encode()) for name, value in HEADERS.items() if name.encode() not in present]
                if policy and b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
