"""Accounts of the people who use the web app, and the one authenticated write path to Kafka.

Others import: `AccountStore`, `Account` (the store), `engine`, `upgrade` (the database), `SignalWriter`
(the write path), `SignalIds` and `signal_ids` (whose signal an id is) and the errors. The web layer
(scholarstream/web_accounts.py) is a thin layer over these.
"""

from accounts.database import engine, upgrade
from accounts.errors import AccountError, AccountExists, InvalidEmail, OrcidTaken, WeakPassword
from accounts.models import Account
from accounts.signal_ids import SignalIds, signal_ids
from accounts.store import AccountStore
from accounts.write_path import ACTIONS, SignalWriter

__all__ = [
    "ACTIONS",
    "Account",
    "AccountError",
    "AccountExists",
    "AccountStore",
    "InvalidEmail",
    "OrcidTaken",
    "SignalIds",
    "SignalWriter",
    "WeakPassword",
    "engine",
    "signal_ids",
    "upgrade",
]
