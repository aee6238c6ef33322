"""Built-in sign-in: Argon2id passwords, throttling and lock-out, signed expiring session tokens.

Sessions are stateless tokens ``base64url(payload).base64url(HMAC-SHA256)``; the payload names the account and
its ``session_epoch``. Signing out everywhere bumps the epoch, which invalidates every outstanding token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from . import repo
from .models import Account
from .passwords import verify_password

SESSION_TTL = timedelta(hours=8)
MAX_FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
GENERIC_FAILURE = "That email and password do not match an account, or the account is locked for a while."


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: an account, or the anonymous public."""

    email: str
    role: str  # public | earner | employer | partner | staff
    account_id: int | None = None
    display_name: str = "Visitor"
    earner_id: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None


PUBLIC = Viewer(email="anonymous", role="public")


def viewer_for(account: Account) -> Viewer:
    return Viewer(
        email=account.email, role=account.role, account_id=account.id, display_name=account.display_name,
        earner_id=account.earner_id,
    )


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    message: str
    account: Account | None = None
    delay_seconds: float = 0.0


def throttle_delay(failures: int) -> float:
    """Seconds to wait before answering after ``failures`` consecutive failures (slows guessing)."""
    return 0.0 if failures <= 1 else min(0.5 * (2 ** (failures - 2)), 4.0)


def authenticate(session: Session, *, email: str, password: str, now: datetime | None = None) -> SignInResult:
    """Check a password sign-in, counting failures and locking the account after repeated ones.

    The message never reveals whether the email has an account.
    """
    now = now or datetime.now(timezone.utc)
    email = email.strip()
    account = repo.get_account(session, email=email) if email else None
    if account is not None and account.locked_until is not None and account.locked_until > now:
        verify_password(None, password)  # same work as a real check
        repo.record_audit(session, actor=email, actor_role="public", action="sign_in", outcome="locked")
        return SignInResult(False, GENERIC_FAILURE, delay_seconds=throttle_delay(account.failed_attempts))
    ok = verify_password(account.password_hash if account and account.active else None, password)
    if not ok:
        delay = 0.0
        if account is not None:
            account.failed_attempts += 1
            delay = throttle_delay(account.failed_attempts)
            if account.failed_attempts >= MAX_FAILURES_BEFORE_LOCK:
                account.locked_until = now + LOCK_DURATION
        repo.record_audit(session, actor=email or "(empty)", actor_role="public", action="sign_in", outcome="failure")
        return SignInResult(False, GENERIC_FAILURE, delay_seconds=delay)
    assert account is not None
    account.failed_attempts = 0
    account.locked_until = None
    repo.record_audit(session, actor=account.email, actor_role=account.role, action="sign_in", outcome="success")
    return SignInResult(True, f"Signed in as {account.display_name}.", account=account)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_session_token(account: Account, *, secret: str, now: datetime | None = None) -> str:
    """A signed, expiring token naming ``account`` and its current session epoch."""
    now = now or datetime.now(timezone.utc)
    payload = {"a": account.id, "e": account.session_epoch, "x": int((now + SESSION_TTL).timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def account_from_token(session: Session, *, token: str, secret: str, now: datetime | None = None) -> Account | None:
    """Return the account a valid token names, or ``None`` (bad signature, expired, signed out, inactive)."""
    now = now or datetime.now(timezone.utc)
    if not token or len(token) > 512 or token.count(".") != 1:
        return None
    body, sig = token.split(".")
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(sig, expected):
        return None
    try:
        payload = json.loads(_unb64(body))
        account_id, epoch, expires = int(payload["a"]), int(payload["e"]), int(payload["x"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < now.timestamp():
        return None
    account = session.get(Account, account_id)
    if account is None or not account.active or account.session_epoch != epoch:
        return None
    return account


def sign_out_everywhere(session: Session, *, account: Account) -> None:
    account.session_epoch += 1
    repo.record_audit(session, actor=account.email, actor_role=account.role, action="sign_out", outcome="everywhere")
