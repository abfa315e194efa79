"""Signal ids that show which account sent them, with no record of who sent what.

An account that acted asks later what became of its signal (`GET /signals/{id}`). Until the worker
has decided, nothing anywhere names the signal's sender, yet the answer must be "pending" to that
account and "not found" to everyone else, who must not even learn that the id exists. So the write
path mints each id with a MAC over the account id: `web-<nonce>-<mac>`, where the MAC is an
HMAC-SHA256 (cut to 128 bits) of the account id and the nonce under the account principal's key,
in a domain of its own so that it can pass for no signal signature. The API, which holds that key,
recomputes it for the signed-in account; nobody without the key can mint an id that passes for
another account's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

from pydantic import SecretStr

from foundation.settings import Settings
from foundation.signal_keys import signal_keys

_DOMAIN = b"scholarstream signal id v1\n"
_FORM = re.compile(r"web-(?P<nonce>[0-9a-f]{32})-(?P<mac>[0-9a-f]{32})")


class SignalIds:
    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def mint(self, account_id: str) -> str:
        """A new signal id for an action of `account_id`."""
        nonce = uuid.uuid4().hex
        return f"web-{nonce}-{self._mac(account_id, nonce)}"

    def sent_by(self, signal_id: str, account_id: str) -> bool:
        """Whether `signal_id` was minted for `account_id` (in constant time once it has the form)."""
        form = _FORM.fullmatch(signal_id)
        return form is not None and hmac.compare_digest(form["mac"], self._mac(account_id, form["nonce"]))

    def _mac(self, account_id: str, nonce: str) -> str:
        message = _DOMAIN + account_id.encode() + b"\n" + nonce.encode()
        return hmac.new(self._key.get_secret_value().encode(), message, hashlib.sha256).hexdigest()[:32]


def signal_ids(settings: Settings) -> SignalIds:
    """The ids of the account principal's key (the one the write path signs with)."""
    return SignalIds(signal_keys(settings).account)
