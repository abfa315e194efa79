"""Proving a mailbox: a signed, expiring confirmation link mailed to the account's address.

The link carries the account id and the address, signed with the session secret (itsdangerous, a
salt of its own) and good for a day. Opening it confirms the address if it is still the account's.
A confirmed address is evidence for a verification of a profile the account claimed: at L3 when its
domain (or a parent domain) is one of the configured institutions', at L2 otherwise.

Mail goes through SMTP (`SCHOLARSTREAM_SMTP_URL`), or, unset, into an outbox directory under the
stack directory (one .eml file a mail, readable by its owner only), which is what local runs and the
tests read.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import SecretStr

from accounts.errors import AccountError
from foundation.errors import ServiceUnavailable
from foundation.settings import Settings

LINK_SECONDS = 24 * 3600
_SALT = "scholarstream e-mail confirmation v1"


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class OutboxMailer:
    """Mail kept as files: the local stand-in for a mail server."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(bytes(_message(self.sender, to, subject, body)))


class SmtpMailer:
    """Mail through an SMTP server: smtps:// (TLS from the start) or smtp:// (STARTTLS)."""

    def __init__(self, url: SecretStr, sender: str, timeout: float = 10.0) -> None:
        self._url = url
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        parts = urlsplit(self._url.get_secret_value())
        host = parts.hostname or "localhost"
        try:
            if parts.scheme == "smtps":
                server: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=self.timeout,
                                                        context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(host, parts.port or 587, timeout=self.timeout)
                server.starttls(context=ssl.create_default_context())
            with server:
                if parts.username:
                    server.login(unquote(parts.username), unquote(parts.password or ""))
                server.send_message(_message(self.sender, to, subject, body))
        except (OSError, smtplib.SMTPException) as error:
            raise ServiceUnavailable("the mail server", f"{host}:{parts.port or ''}", type(error).__name__) from error


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return OutboxMailer(outbox(settings), settings.mail_from)


def outbox(settings: Settings) -> Path:
    return settings.stack_dir / "outbox"


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


class ConfirmationLinks:
    """Tokens that say "this account had this address", signed and expiring."""

    def __init__(self, secret: SecretStr, max_age: int = LINK_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret.get_secret_value(), salt=_SALT)
        self.max_age = max_age

    def token(self, account_id: str, email: str) -> str:
        return str(self._serializer.dumps({"a": account_id, "e": email}))

    def read(self, token: str) -> tuple[str, str]:
        """(account id, address); AccountError when the token is forged, altered or expired."""
        try:
            data: Any = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise AccountError("this confirmation link has expired: ask for a new one") from None
        except BadSignature:
            raise AccountError("this is not a confirmation link of this site") from None
        if not isinstance(data, dict) or not isinstance(data.get("a"), str) or not isinstance(data.get("e"), str):
            raise AccountError("this is not a confirmation link of this site")
        return data["a"], data["e"]


def institutions(spec: str) -> dict[str, str]:
    """'ox.ac.uk=University of Oxford;cern.ch=CERN' -> {domain: institution}."""
    found: dict[str, str] = {}
    for item in spec.split(";"):
        domain, _, name = item.partition("=")
        if domain.strip() and name.strip():
            found[domain.strip().lower()] = name.strip()
    return found


def email_evidence(email: str, known: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The verification a confirmed `email` gives: (evidence fields, level)."""
    domain = email.rsplit("@", 1)[-1].lower()
    labels = domain.split(".")
    for start in range(len(labels) - 1):  # the domain itself, then each parent with two labels or more
        candidate = ".".join(labels[start:])
        if candidate in known:
            return {"method": "institutional_email", "domain": domain, "institution": known[candidate]}, "L3"
    return {"method": "email", "domain": domain}, "L2"
