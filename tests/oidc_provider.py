"""A small OpenID Connect provider of the tests' own, standing in for ORCID's.

It speaks the parts of the protocol the web app uses, over real HTTP on a loopback port: the
discovery document, an authorization page where the person types the ORCID iD they "sign in" as
(a form, so a browser test fills it like a person would), a token endpoint that checks the client's
secret, the code and the redirect URI, and ID tokens signed with an RSA key published at the JWKS
endpoint. Faults on demand: `deny_next` answers the next authorization with `access_denied`;
`forge_next` signs the next ID token with a key it does not publish (a token that must not verify).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    deny_next: bool = False
    forge_next: bool = False
    tokens_issued: int = 0

    @property
    def env(self) -> dict[str, str]:
        """The web app's settings for this provider."""
        return {
            "SCHOLARSTREAM_ORCID_ISSUER": self.issuer,
            "SCHOLARSTREAM_ORCID_CLIENT_ID": self.client_id,
            "SCHOLARSTREAM_ORCID_CLIENT_SECRET": self.client_secret,
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.key.as_dict(private=False), "kid": "test-key", "use": "sig", "alg": "RS256"}]}

    def authorize(self, params: dict[str, str]) -> str:
        """The redirect back to the client with a code (or an error) for the iD typed in."""
        redirect_uri, state = params.get("redirect_uri", ""), params.get("state", "")
        if self.deny_next:
            self.deny_next = False
            return f"{redirect_uri}?{urlencode({'error': 'access_denied', 'error_description': 'the person said no', 'state': state})}"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "orcid": params["orcid"], "client_id": params.get("client_id", ""), "redirect_uri": redirect_uri,
            "nonce": params.get("nonce", ""),
        }
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant["orcid"], "aud": self.client_id, "iat": now, "exp": now + 600,
                  "auth_time": now, "nonce": grant["nonce"]}
        key = self.key
        if self.forge_next:
            self.forge_next = False
            key = RSAKey.generate_key(2048)
        self.tokens_issued += 1
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "bearer", "expires_in": 600, "id_token": id_token}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            url = urlsplit(self.path)
            params = {name: values[-1] for name, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.metadata())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                if params.get("client_id") != provider.client_id or params.get("response_type") != "code":
                    self._json(400, {"error": "invalid_request"})
                    return
                self._page(params)
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length", "0"))
            form = {name: values[-1] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlsplit(self.path).path
            if path == "/authorize":
                self.send_response(302)
                self.send_header("Location", provider.authorize(form))
                self.end_headers()
            elif path == "/token":
                status, body = provider.token(form, self._basic())
                self._json(status, body)
            else:
                self._json(404, {"error": "not_found"})

        def _basic(self) -> tuple[str, str] | None:
            header = self.headers.get("authorization", "")
            if not header.lower().startswith("basic "):
                return None
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return user, secret

        def _page(self, params: dict[str, str]) -> None:
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">' for name, value in params.items()
            )
            body = (
                "<!doctype html><html lang='en'><head><title>Test ORCID sign-in</title><link rel='icon' href='data:,'></head><body><main>"
                "<h1>Sign in to the test ORCID</h1><form method='post' action='/authorize'>"
                f"{hidden}<label for='orcid'>ORCID iD</label><input id='orcid' name='orcid' required>"
                "<button type='submit'>Authorize</button></form></main></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A provider on a free loopback port, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(issuer=f"http://127.0.0.1:{server.server_address[1]}", client_id="APP-SCHOLARSTREAM-TEST",
                        client_secret=secrets.token_urlsafe(24))
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def to_provider(client: Any, next_page: str = "/") -> str:
    """Start the sign-in in the app (a TestClient); the provider's authorization URL it redirects to."""
    started = client.get(f"/sign-in/orcid?next={next_page}", follow_redirects=False)
    assert started.status_code == 302, started.text
    return str(started.headers["location"])


def authorize(authorize_url: str, orcid: str) -> str:
    """What the person does at the provider: open its page, type the iD, authorize. The URL the
    provider sends the browser back to (the app's callback with a code)."""
    query = {name: values[-1] for name, values in parse_qs(urlsplit(authorize_url).query).items()}
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "ORCID iD" in page.text, page.text
    answer = httpx.post(authorize_url.split("?")[0], data={**query, "orcid": orcid})
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def sign_in_with_orcid(client: Any, orcid: str, next_page: str = "/") -> Any:
    """The whole trip for a TestClient browser; the app's answer to the callback."""
    back = urlsplit(authorize(to_provider(client, next_page), orcid))
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)
