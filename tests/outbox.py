"""The confirmation link mailed to an address, read from the outbox the app writes when no SMTP
server is configured (accounts/mailbox.py), as a person reads their mail. Unit, integration and
browser tests share it."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

_LINK = re.compile(r"http://\S+/me/email-confirmations/\S+")


def mails(directory: Path) -> list[EmailMessage]:
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in directory.glob("*.eml")]


def mailed_link(directory: Path, to: str) -> str:
    """The one confirmation link mailed to `to` (the outbox may hold other people's mail)."""
    [mail] = [m for m in mails(directory) if m["To"] == to]
    assert mail["Subject"] == "Confirm your e-mail address"
    [link] = _LINK.findall(mail.get_body().get_content())  # type: ignore[union-attr]
    return str(link)
