"""Sign-in: Argon2id passwords, throttling and lock-out, signed expiring session tokens, OIDC identities.

Sessions are stateless tokens ``base64url(payload).base64url(HMAC-SHA256)``; the payload names the account and
its ``session_epoch``. Signing out everywhere bumps the epoch, which invalidates every outstanding token.

OpenID Connect identities (Streamlit's ``st.login``) carry no role: :func:`resolve_oidc_identity` maps the
verified email to an account row, and an identity without one is the public. Because the identity cookie is the
provider's, "sign out everywhere" cannot delete it from other browsers; instead the time of the last sign-out is
kept per account and an identity token issued (``iat``) before it is refused, as is one older than
:data:`SESSION_TTL`.

Failed password sign-ins are counted per email whether or not the email has an account (in the account row
when there is one, so every replica sees it, and in a bounded in-process :class:`FailureTracker` for every
email), and the delay and lock-out follow the same rule in both cases, so that neither the message nor the
timing class tells a guesser which emails have accounts. The page sleeps ``delay_seconds`` before answering.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mosaics_match.lru import LruCache
from mosaics_match.roles import Role
from mosaics_match.store import repo
from mosaics_match.store.models import Account
from mosaics_match.store.passwords import verify_password

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

SESSION_TTL = timedelta(hours=8)
MAX_FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
GENERIC_FAILURE = ("That email and password do not match an account, or the account is locked for a while. "
                   "Seneca staff can unlock an account.")
MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024
SIGNED_OUT_AT_KEY = "auth.signed_out_at.{account_id}"
#: When staff last unlocked an account: failures counted before it, on any replica, no longer lock the email.
UNLOCKED_AT_KEY = "auth.unlocked_at.{account_id}"


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: an account, or the anonymous public."""

    email: str
    role: str  # a Role value: public | earner | employer | partner | staff
    account_id: int | None = None
    display_name: str = "Visitor"
    earner_id: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None


PUBLIC = Viewer(email="anonymous", role=Role.PUBLIC)


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
    token: str | None = None


def throttle_delay(failures: int) -> float:
    """Seconds to wait before answering after ``failures`` consecutive failures (slows guessing)."""
    return 0.0 if failures <= 1 else min(0.5 * (2 ** (failures - 2)), 4.0)


class FailureTracker:
    """Recent failed sign-ins per email, in process memory, bounded in size.

    Counts failures for every email typed, including emails without an account, so that unknown emails are
    slowed and locked exactly like known ones. Failures older than ``window`` are forgotten.

    Parameters
    ----------
    window:
        How long a failure counts (also the lock duration).
    max_keys:
        Most emails remembered; the least recently failed ones are dropped first.
    """

    def __init__(self, *, window: timedelta = LOCK_DURATION, max_keys: int = 10_000) -> None:
        self.window = window
        self.max_keys = max_keys
        # least recently *failed* first: reading a count (peek) does not make an email recent
        self._entries: LruCache[str, tuple[int, datetime, datetime | None]] = LruCache(max_keys)
        self._lock = self._entries.lock

    @staticmethod
    def key(email: str) -> str:
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()

    def _current(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        entry = self._entries.peek(key)
        if entry is None:
            return 0, None
        count, last, locked_until = entry
        if locked_until is not None and locked_until <= now:
            self._entries.pop(key)  # the lock has run out: start afresh
            return 0, None
        if locked_until is None and now - last > self.window:
            self._entries.pop(key)
            return 0, None
        return count, locked_until

    def failures(self, email: str, now: datetime) -> int:
        """Failures counted for ``email`` at ``now``."""
        with self._lock:
            return self._current(self.key(email), now)[0]

    def locked_until(self, email: str, now: datetime) -> datetime | None:
        """End of the lock on ``email``, or ``None`` when it is not locked."""
        with self._lock:
            return self._current(self.key(email), now)[1]

    def record_failure(self, email: str, now: datetime) -> int:
        """Count one more failure; lock the email after :data:`MAX_FAILURES_BEFORE_LOCK`. Returns the count."""
        key = self.key(email)
        with self._lock:
            count, _ = self._current(key, now)
            count += 1
            locked = now + self.window if count >= MAX_FAILURES_BEFORE_LOCK else None
            self._entries.put(key, (count, now, locked))
            return count

    def reset(self, email: str) -> None:
        with self._lock:
            self._entries.pop(self.key(email), None)

    def forget_before(self, email: str, when: datetime) -> None:
        """Drop the failures of ``email`` if the last one is older than ``when`` (an unlock by staff)."""
        key = self.key(email)
        with self._lock:
            entry = self._entries.peek(key)
            if entry is not None and entry[1] <= when:
                self._entries.pop(key)


DEFAULT_TRACKER = FailureTracker()


def authenticate(
    session: Session, *, email: str, password: str, now: datetime | None = None,
    tracker: FailureTracker | None = None,
) -> SignInResult:
    """Check a password sign-in, counting failures and locking the email after repeated ones.

    The message never reveals whether the email has an account, and the delay (``delay_seconds``, which the
    caller sleeps before answering) depends only on how many failures the email has had, known or not.

    Parameters
    ----------
    session:
        Open transaction; the caller commits (failure counts and the audit event).
    email, password:
        What was typed. Over-long values are refused without hashing.
    now:
        The clock (tests inject one).
    tracker:
        Failure counter for every email; default the process-wide one.
    """
    now = now or datetime.now(UTC)
    tracker = tracker or DEFAULT_TRACKER
    email = (email or "").strip()
    password = password or ""
    if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        email = email[:MAX_EMAIL_LENGTH]
        password = ""  # never hash megabytes; still a normal, counted failure
    account = repo.get_account(session, email=email) if email else None
    if account is not None:
        unlocked = repo.get_state(session, key=UNLOCKED_AT_KEY.format(account_id=account.id))
        if unlocked is not None:
            tracker.forget_before(email, datetime.fromtimestamp(float(unlocked), tz=UTC))
    if account is not None and account.locked_until is not None and account.locked_until <= now:
        account.failed_attempts = 0  # the lock ran out: a fresh allowance of attempts
        account.locked_until = None
    failures = max(tracker.failures(email, now), account.failed_attempts if account is not None else 0)
    locked = tracker.locked_until(email, now) is not None or (
        account is not None and account.locked_until is not None and account.locked_until > now)
    actor = email or "(empty)"
    if locked:
        verify_password(None, password)  # same work as a real check
        repo.record_audit(session, actor=actor, actor_role=Role.PUBLIC, action="sign_in", outcome="locked",
                          details={"method": "password"})
        return SignInResult(False, GENERIC_FAILURE, delay_seconds=throttle_delay(failures))
    ok = password != "" and verify_password(account.password_hash if account and account.active else None, password)
    if not password:
        verify_password(None, "")  # keep the timing class of a real check
    if not ok:
        failures = max(tracker.record_failure(email, now), failures + 1)
        if account is not None:
            account.failed_attempts = failures
            if failures >= MAX_FAILURES_BEFORE_LOCK:
                account.locked_until = now + LOCK_DURATION
        repo.record_audit(session, actor=actor, actor_role=Role.PUBLIC, action="sign_in", outcome="failure",
                          details={"method": "password", "failures": failures})
        return SignInResult(False, GENERIC_FAILURE, delay_seconds=throttle_delay(failures))
    assert account is not None
    account.failed_attempts = 0
    account.locked_until = None
    tracker.reset(email)
    repo.record_audit(session, actor=account.email, actor_role=account.role, action="sign_in", outcome="success",
                      details={"method": "password"})
    return SignInResult(True, f"Signed in as {account.display_name}.", account=account)


@dataclass(frozen=True)
class AccountLock:
    """An account that failed sign-ins have locked, or are about to lock (for the staff console)."""

    account_id: int
    email: str
    role: str
    display_name: str
    failed_attempts: int
    locked_until: datetime | None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def account_locks(session: Session, *, now: datetime | None = None) -> list[AccountLock]:
    """Accounts locked now, then accounts with failed attempts counted; locked ones first, soonest unlock last.

    Parameters
    ----------
    session : Session
        Read-only use.
    now : datetime, optional
        The clock (tests inject one).
    """
    from sqlalchemy import select

    now = now or datetime.now(UTC)
    rows = session.scalars(select(Account).where(
        (Account.failed_attempts > 0) | (Account.locked_until.is_not(None))).order_by(Account.email))
    out = []
    for account in rows:
        until = account.locked_until if account.locked_until is not None and account.locked_until > now else None
        if until is None and not account.failed_attempts:
            continue
        if until is None and account.locked_until is not None:
            continue  # the lock ran out: the next sign-in starts afresh
        out.append(AccountLock(account.id, account.email, account.role, account.display_name,
                               account.failed_attempts, until))
    return sorted(out, key=lambda a: (not a.locked, a.email))


def unlock_account(session: Session, *, account: Account, actor: str, actor_role: str = "staff",
                   now: datetime | None = None, tracker: FailureTracker | None = None) -> None:
    """Staff unlock an account locked by failed sign-ins: the count starts afresh here and on every replica.

    Parameters
    ----------
    session : Session
        Open transaction; the caller commits.
    account : Account
        The account to unlock.
    actor, actor_role : str
        Who unlocks it (audited).
    now : datetime, optional
        The clock.
    tracker : FailureTracker, optional
        This process's failure counter (default the process-wide one); other replicas drop their count on the
        next attempt, when they read the unlock time.
    """
    now = now or datetime.now(UTC)
    was = {"failed_attempts": account.failed_attempts,
           "locked_until": account.locked_until.isoformat() if account.locked_until else None}
    account.failed_attempts = 0
    account.locked_until = None
    repo.set_state(session, key=UNLOCKED_AT_KEY.format(account_id=account.id), value=f"{now.timestamp():.6f}")
    (tracker or DEFAULT_TRACKER).reset(account.email)
    repo.record_audit(session, actor=actor, actor_role=actor_role, action="account_unlock", subject=account.email,
                      outcome="success", details=was)


def sign_in(
    session: Session, *, email: str, password: str, secret: str, now: datetime | None = None,
    tracker: FailureTracker | None = None,
) -> SignInResult:
    """:func:`authenticate`, and on success a fresh session token in ``result.token``."""
    result = authenticate(session, email=email, password=password, now=now, tracker=tracker)
    if not result.ok or result.account is None:
        return result
    token = issue_session_token(result.account, secret=secret, now=now)
    return SignInResult(True, result.message, account=result.account, token=token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_session_token(account: Account, *, secret: str, now: datetime | None = None) -> str:
    """A signed, expiring token naming ``account`` and its current session epoch."""
    now = now or datetime.now(UTC)
    payload = {"a": account.id, "e": account.session_epoch, "x": int((now + SESSION_TTL).timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


# base64url body (a few dozen characters in practice), a dot, and the unpadded base64url of a SHA-256 HMAC.
# Checked before anything else so that the comparison and decoding below only ever see short ASCII text.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}")
_MAX_TOKEN_LENGTH = 400 + 1 + 43  # the longest text _TOKEN_SHAPE matches; checked first to skip big inputs fast
_MAX_ACCOUNT_ID = 2**31 - 1  # account.id is an INTEGER column, 32 bits on PostgreSQL; bigger ids cannot exist


def account_from_token(session: Session, *, token: object, secret: str,
                       now: datetime | None = None) -> Account | None:
    """Return the account a valid token names, or ``None``.

    Any token that is not exactly what :func:`issue_session_token` makes (wrong type, length or alphabet,
    bad signature, unreadable payload, expired, signed out, inactive account) means "not signed in": this never
    raises for anything a browser can send.

    Parameters
    ----------
    session : Session
        Read-only use.
    token : object
        The value from the cookie or the browser session, untrusted.
    secret : str
        The session secret.
    now : datetime, optional
        The clock (tests inject one).

    Returns
    -------
    Account or None
    """
    now = now or datetime.now(UTC)
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    body, sig = token.split(".")
    expected = _b64(hmac.new(secret.encode(), body.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(sig.encode("ascii"), expected.encode("ascii")):
        return None
    try:
        payload = json.loads(_unb64(body))
        account_id, epoch, expires = int(payload["a"]), int(payload["e"]), int(payload["x"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    if not 0 < account_id <= _MAX_ACCOUNT_ID or epoch < 0 or expires < now.timestamp():
        return None
    account = session.get(Account, account_id)
    if account is None or not account.active or account.session_epoch != epoch:
        return None
    return account


def sign_out_everywhere(session: Session, *, account: Account, now: datetime | None = None) -> None:
    """End every session of ``account``: password tokens (epoch bump) and older OIDC identities (timestamp)."""
    now = now or datetime.now(UTC)
    account.session_epoch += 1
    repo.set_state(session, key=SIGNED_OUT_AT_KEY.format(account_id=account.id), value=f"{now.timestamp():.6f}")
    repo.record_audit(session, actor=account.email, actor_role=account.role, action="sign_out", outcome="everywhere")


# --- OpenID Connect -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OidcResolution:
    """What an OIDC identity means here.

    Attributes
    ----------
    viewer:
        The account's viewer, or :data:`PUBLIC`.
    email:
        The identity's email claim, if any.
    status:
        ``account`` (mapped to an active account), ``no-account``, ``no-email``, ``unverified`` (the provider
        says the email is not verified), ``expired`` (identity older than :data:`SESSION_TTL` or without
        ``iat``) or ``signed-out`` (issued before the account last signed out everywhere).
    """

    viewer: Viewer
    email: str | None
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "account"


def resolve_oidc_identity(
    session: Session, *, claims: Mapping[str, Any], now: datetime | None = None,
) -> OidcResolution:
    """Map the claims of a signed-in OIDC user (``st.user``) to a viewer; OIDC itself grants no role.

    Parameters
    ----------
    session:
        Read-only use.
    claims:
        ID-token claims as Streamlit exposes them (``email``, ``email_verified``, ``iat`` ...).
    now:
        The clock (tests inject one).
    """
    now = now or datetime.now(UTC)
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        return OidcResolution(PUBLIC, None, "no-email")
    email = email.strip()
    if claims.get("email_verified") is False or str(claims.get("email_verified")).lower() == "false":
        return OidcResolution(PUBLIC, email, "unverified")
    try:
        issued = float(claims["iat"])
    except (KeyError, TypeError, ValueError):
        return OidcResolution(PUBLIC, email, "expired")
    if issued + SESSION_TTL.total_seconds() < now.timestamp():
        return OidcResolution(PUBLIC, email, "expired")
    account = repo.get_account(session, email=email)
    if account is None or not account.active:
        return OidcResolution(PUBLIC, email, "no-account")
    signed_out = repo.get_state(session, key=SIGNED_OUT_AT_KEY.format(account_id=account.id))
    if signed_out is not None and issued <= float(signed_out):
        return OidcResolution(PUBLIC, email, "signed-out")
    return OidcResolution(viewer_for(account), email, "account")


def record_oidc_sign_in(session: Session, *, resolution: OidcResolution) -> None:
    """Audit an OIDC sign-in as this portal sees it (once per browser session; the caller decides when)."""
    viewer = resolution.viewer
    repo.record_audit(
        session, actor=resolution.email or "(no email)", actor_role=viewer.role, action="sign_in",
        outcome="success" if resolution.ok else resolution.status, details={"method": "oidc"},
    )


# --- what the pages call (each opens its own session or transaction) ------------------------------------------

@dataclass(frozen=True)
class PasswordSignIn:
    """The outcome of a password sign-in, as the sign-in form needs it.

    Attributes
    ----------
    ok : bool
        Signed in.
    message : str
        What to tell the person (the same generic failure whether or not the email has an account).
    token : str | None
        The new session token, on success.
    role : str | None
        The account's role, on success.
    delay_seconds : float
        How long the page waits before answering (slows password guessing).
    """

    ok: bool
    message: str
    token: str | None = None
    role: str | None = None
    delay_seconds: float = 0.0


def password_sign_in(rt: Runtime, *, email: str, password: str) -> PasswordSignIn:
    """Check an email and password in a transaction of its own (:func:`sign_in`: throttling, lock-out, audit).

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its session secret signs the token).
    email, password : str
        As typed.

    Returns
    -------
    PasswordSignIn
    """
    with rt.Session.begin() as session:
        result = sign_in(session, email=email, password=password, secret=rt.settings.session_secret)
        role = result.account.role if result.ok and result.account is not None else None
    return PasswordSignIn(ok=result.ok and bool(result.token) and bool(role), message=result.message,
                          token=result.token, role=role, delay_seconds=result.delay_seconds)


def viewer_from_token(rt: Runtime, *, token: str) -> Viewer | None:
    """The viewer a session token names, or ``None`` when it is not valid (signature, expiry, epoch, account).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    token : str
        From the browser session or its cookie.

    Returns
    -------
    Viewer or None
    """
    with rt.Session() as session:
        account = account_from_token(session, token=token, secret=rt.settings.session_secret)
        return viewer_for(account) if account is not None else None


def resolve_oidc(rt: Runtime, *, claims: Mapping[str, Any]) -> OidcResolution:
    """:func:`resolve_oidc_identity` in a session of its own.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    claims : Mapping
        The identity's claims.

    Returns
    -------
    OidcResolution
    """
    with rt.Session() as session:
        return resolve_oidc_identity(session, claims=claims)


def record_oidc(rt: Runtime, *, resolution: OidcResolution) -> None:
    """:func:`record_oidc_sign_in` in a transaction of its own.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    resolution : OidcResolution
        What the identity meant.
    """
    with rt.Session.begin() as session:
        record_oidc_sign_in(session, resolution=resolution)


def sign_out(rt: Runtime, *, viewer: Viewer) -> None:
    """Sign ``viewer``'s account out everywhere (:func:`sign_out_everywhere`); the public has nothing to end.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    viewer : Viewer
        Who signs out.
    """
    if viewer.account_id is None:
        return
    with rt.Session.begin() as session:
        account = session.get(Account, viewer.account_id)
        if account is not None:
            sign_out_everywhere(session, account=account)
