"""Demo data: the Mosaics catalogue, job postings, thousands of synthetic earners with signed credentials, and one
account per role. Seeded, reproducible and idempotent (running it twice changes nothing).

The demo accounts' passwords are never stored: each is derived from the session secret (HMAC-SHA256 of the role),
so the sign-in page can show them in demo mode while a copy of the database alone reveals nothing but Argon2id
hashes. Showing them once in the log at seeding was the alternative; it would leave a demo without a way to
find the passwords again after the log is gone, and logs are copied to more places than the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mosaics_match.runtime import Runtime
from mosaics_match.services import issuing
from mosaics_match.store import repo
from mosaics_match.store.models import (
    Account,
    Achievement,
    Competency,
    Earner,
    IssuedCredential,
    JobPosting,
    StatusList,
)
from mosaics_match.store.passwords import hash_password, verify_password

Progress = Callable[[float, str], None]
SEED = 20261128
DEMO_MARKER = "demo_seeded"
# Where earlier versions kept the demo passwords in plain text; migration 0003 deletes it and nothing writes it.
DEMO_PASSWORDS_KEY = "demo_passwords"
# Marks the demo accounts as holding the passwords derived from the current secret (a keyed hash, not a password).
DEMO_PASSWORDS_SYNCED_KEY = "demo_passwords_synced"
_PASSWORD_LABEL = b"seneca-mosaics demo password\x00"
DEMO_ACCOUNTS = {
    "staff": ("staff@mosaics.example", "Sam Okafor (Seneca staff)", "Seneca Polytechnic"),
    "employer": ("employer@mosaics.example", "Priya Raman (Northwind Logistics HR)", "Northwind Logistics"),
    "partner": ("partner@mosaics.example", "Daniel Chen (Lakeshore Analytics)", "Lakeshore Analytics"),
    "earner": ("earner@mosaics.example", "Amara Singh", None),
}
# Reference "now" of the demo world, so that the share of expired credentials does not drift with the calendar.
DEMO_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class SeedReport:
    achievements: int = 0
    postings: int = 0
    earners: int = 0
    credentials: int = 0
    revoked: int = 0
    suspended: int = 0
    accounts: int = 0
    external: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.achievements} micro-credentials, {self.postings} postings, {self.earners} earners, "
                f"{self.credentials} credentials ({self.revoked} revoked, {self.suspended} suspended), "
                f"{self.accounts} accounts, {self.external} credentials from a second issuer")

    @property
    def changed(self) -> bool:
        return any((self.achievements, self.postings, self.earners, self.credentials, self.accounts,
                    self.external))


def needs_seeding(rt: Runtime) -> bool:
    with rt.Session() as session:
        return repo.get_state(session, key=DEMO_MARKER) is None


def _noop(_: float, __: str) -> None:
    return None


def seed(rt: Runtime, *, earners: int | None = None, progress: Progress = _noop,
         workers: int | None = None) -> SeedReport:
    """Create the demo data that is not there yet.

    Parameters
    ----------
    rt:
        The runtime (database and settings).
    earners:
        How many synthetic earners; default ``settings.demo_earners``.
    progress:
        Called with (fraction done, message).
    workers:
        Processes used to sign credentials; default: the CPU count (at most 4).
    """
    from mosaics_match.inputs.content import load_catalogue, load_people, load_postings

    report = SeedReport()
    n_earners = rt.settings.demo_earners if earners is None else earners
    catalogue = load_catalogue()
    postings = load_postings()
    people = load_people()
    progress(0.01, "Catalogue")
    with rt.Session.begin() as session:
        report.achievements = _seed_catalogue(session, catalogue)
        report.postings = _seed_postings(session, postings)
        issuing.ensure_local_issuer(session, settings=rt.settings)
    progress(0.05, "Earners")
    with rt.Session.begin() as session:
        new_earner_ids = _seed_earners(session, people, n_earners, report)
    if new_earner_ids:
        _seed_credentials(rt, new_earner_ids, report, progress, workers)
    with rt.Session.begin() as session:
        report.accounts = _seed_accounts(session, settings=rt.settings)
    progress(0.95, "A second issuer")
    report.external = _seed_peer_issuer(rt)
    with rt.Session.begin() as session:
        if repo.get_state(session, key=DEMO_MARKER) is None:
            repo.set_state(session, key=DEMO_MARKER, value=datetime.now(UTC).isoformat())
        if report.changed:
            repo.bump_data_version(session)
            repo.record_audit(session, actor="system", actor_role="system", action="demo_seed", outcome="success",
                              details={"summary": report.summary()})
    progress(1.0, "Done")
    return report


def _seed_catalogue(session: Session, catalogue) -> int:
    from mosaics_match.exports.badge_art import badge_svg

    schools = {s.slug: s.name for s in catalogue.schools}
    partners = {p.slug: p.name for p in catalogue.partners}
    existing = {a.slug for a in session.scalars(select(Achievement))}
    added = 0
    for _position, item in enumerate(catalogue.achievements):
        if item.slug in existing:
            continue
        school = schools.get(item.school, item.school)
        achievement = Achievement(
            slug=item.slug, name=item.name, description=item.description, criteria=item.criteria, school=school,
            partner=partners.get(item.partner, item.partner), hours=item.hours, level=item.level,
            tags=list(item.tags), image_svg=badge_svg(item.name, school, item.school),
        )
        for i, comp in enumerate(item.competencies):
            achievement.competencies.append(Competency(
                slug=comp.slug, name=comp.name, description=comp.description, esco_uri=comp.esco_uri,
                esco_label=comp.esco_label, position=i,
            ))
        session.add(achievement)
        added += 1
    session.flush()
    return added


def _seed_postings(session: Session, postings) -> int:
    existing = set(session.scalars(select(JobPosting.slug)))
    added = 0
    for p in postings:
        if p.slug in existing:
            continue
        session.add(JobPosting(slug=p.slug, title=p.title, employer=p.employer, location=p.location, text=p.text,
                               posted=p.posted))
        added += 1
    return added


def _earner_identity(rng: random.Random, people, i: int) -> tuple[str, str]:
    given = rng.choice(people.given_names)
    family = rng.choice(people.family_names)
    domain = rng.choice(people.email_domains)
    local = f"{given}.{family}".lower().replace(" ", "").replace("'", "")
    return f"{given} {family}", f"{local}.{i:05d}@{domain}"


def _seed_earners(session: Session, people, n: int, report: SeedReport) -> list[int]:
    """Create the seeded earners that are missing; return the ids of every seeded earner without credentials.

    Returning earners without credentials (not only the ones created now) makes seeding resumable: a run that
    was interrupted after the earners were committed but before their credentials were stored is completed by
    the next run instead of leaving thousands of earners with nothing to verify or match.
    """
    rng = random.Random(SEED)
    existing = set(session.scalars(select(Earner.email)))
    rows = []
    emails = []
    for i in range(n):
        name, email = _earner_identity(rng, people, i)
        discoverable = rng.random() < 0.72
        share_email = discoverable and rng.random() < 0.5
        location = rng.choice(("Toronto, ON", "Mississauga, ON", "Brampton, ON", "Markham, ON", "Vaughan, ON",
                               "Scarborough, ON", "Oshawa, ON", "Richmond Hill, ON", "Newmarket, ON", "Remote"))
        emails.append(email)
        if email in existing:
            continue
        rows.append({"email": email, "name": name, "discoverable": discoverable, "share_email": share_email,
                     "location": location, "created_at": datetime.now(UTC)})
    if rows:
        session.execute(insert(Earner), rows)
    report.earners = len(rows)
    holders = set(session.scalars(select(IssuedCredential.earner_id).distinct()))
    ids: list[int] = []
    for start in range(0, len(emails), 900):
        chunk = emails[start:start + 900]
        ids.extend(i for i in session.scalars(select(Earner.id).where(Earner.email.in_(chunk))) if i not in holders)
    return sorted(ids)


def _sign_chunk(args: tuple[bytes, str, list[tuple[str, dict]]]) -> list[tuple[str, str]]:
    """Sign (and check) one chunk of credentials in a worker process; returns (credential id, document)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from mosaics_match.credentials import keys as ck
    from mosaics_match.credentials import proofs

    raw, vm, items = args
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public = ck.public_key_of(private)
    out = []
    for credential_id, doc in items:
        signed = proofs.sign_data_integrity(doc, private, verification_method=vm, cryptosuite="eddsa-rdfc-2022",
                                            created=datetime.fromisoformat(doc["validFrom"]))
        text = json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
        # Verify what is stored, recomputed from its text: forget the canonical forms signing remembered.
        proofs.clear_caches()
        stored = json.loads(text)
        proof = stored.pop("proof")
        proofs.verify_proof(stored, proof, public)
        out.append((credential_id, text))
    return out


def _seed_credentials(rt: Runtime, earner_ids: list[int], report: SeedReport, progress: Progress,
                      workers: int | None) -> None:
    from cryptography.hazmat.primitives import serialization

    rng = random.Random(SEED + 1)
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        achievements = list(session.scalars(select(Achievement).order_by(Achievement.id)))
        for a in achievements:
            _ = a.competencies  # load while the session is open
        earners = ({e.id: e for e in session.scalars(select(Earner).where(Earner.id.in_(earner_ids)))}
                   if len(earner_ids) < 900 else {e.id: e for e in session.scalars(select(Earner))})
        by_school: dict[str, list[Achievement]] = {}
        for a in achievements:
            by_school.setdefault(a.school, []).append(a)
        schools = sorted(by_school)

        # A later, larger seeding replays the same random stream, so its first ids are ones already issued.
        taken = set(session.scalars(select(IssuedCredential.credential_id)))
        planned: list[dict] = []
        for earner_id in earner_ids:
            earner = earners[earner_id]
            k = rng.choices((1, 2, 3, 4, 5, 6), weights=(22, 24, 20, 15, 11, 8))[0]
            home = by_school[rng.choice(schools)]
            chosen: list[Achievement] = []
            while len(chosen) < k:
                pool = home if rng.random() < 0.7 else achievements
                pick = rng.choice(pool)
                if pick not in chosen:
                    chosen.append(pick)
                if len(chosen) >= len(home) and all(a in chosen for a in home) and len(chosen) < k:
                    home = achievements
            for achievement in chosen:
                issued = DEMO_EPOCH - timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1440))
                valid_until = issued + timedelta(days=3 * 365) if rng.random() < 0.6 else None
                fate = rng.random()
                credential_id = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                if credential_id in taken:
                    credential_id = f"urn:uuid:{uuid.uuid4()}"
                taken.add(credential_id)
                planned.append({
                    "earner": earner, "achievement": achievement, "issued": issued, "valid_until": valid_until,
                    "revoked": fate < 0.03, "suspended": 0.03 <= fate < 0.05,
                    "credential_id": credential_id,
                })

        # Reserve status indices for the whole batch at once.
        first_number, first_index = issuing._allocate_status_index(session, signer=signer)
        docs = []
        positions = []
        number, index = first_number, first_index
        for i, item in enumerate(planned):
            if i > 0:
                index += 1
                if index >= issuing.STATUS_LIST_SIZE:
                    _set_next_index(session, signer, number, issuing.STATUS_LIST_SIZE)
                    number, index = issuing._allocate_status_index(session, signer=signer)
            positions.append((number, index))
            docs.append((item["credential_id"], issuing.build_unsigned(
                signer=signer, achievement=item["achievement"], earner=item["earner"],
                credential_id=item["credential_id"], valid_from=item["issued"], valid_until=item["valid_until"],
                status_number=number, status_index=index, salt=f"{rng.getrandbits(128):032x}",
            )))
        _set_next_index(session, signer, number, index + 1)
        raw = signer.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                               serialization.NoEncryption())
        vm = signer.verification_method
        issuer_id, key_id = signer.issuer.id, signer.key.id
    progress(0.1, f"Signing {len(docs):,} credentials")

    chunk = 250
    chunks = [(raw, vm, docs[i:i + chunk]) for i in range(0, len(docs), chunk)]
    signed: dict[str, str] = {}
    n_workers = workers or min(os.cpu_count() or 1, 4)
    if n_workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            for done, result in enumerate(pool.map(_sign_chunk, chunks), start=1):
                signed.update(result)
                progress(0.1 + 0.8 * done / len(chunks), f"Signed {len(signed):,} of {len(docs):,} credentials")
    else:
        for done, c in enumerate(chunks, start=1):
            signed.update(_sign_chunk(c))
            progress(0.1 + 0.8 * done / len(chunks), f"Signed {len(signed):,} of {len(docs):,} credentials")

    now = datetime.now(UTC)
    rows = []
    for item, (number, index) in zip(planned, positions):
        rows.append({
            "credential_id": item["credential_id"], "earner_id": item["earner"].id,
            "achievement_id": item["achievement"].id, "issuer_id": issuer_id, "key_id": key_id,
            "issued_at": item["issued"], "valid_from": item["issued"], "valid_until": item["valid_until"],
            "document": signed[item["credential_id"]], "proof_format": "eddsa-rdfc-2022",
            "status_list_number": number, "status_index": index, "revoked": item["revoked"],
            "suspended": item["suspended"],
            "status_reason": "Demo: academic integrity review" if item["revoked"] else
            ("Demo: under review" if item["suspended"] else None),
            "claim_code_hash": issuing.hash_claim_code(secrets.token_hex(8)),
            "verified_at": now, "public": False,
        })
    progress(0.92, "Storing credentials and status lists")
    with rt.Session.begin() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(IssuedCredential), rows[start:start + 2000])
        signer = issuing.open_signer(session, settings=rt.settings)
        touched: set[tuple[int, str]] = set()
        lists: dict[tuple[int, str], StatusList] = {}
        from mosaics_match.credentials import status as cs

        bitsets: dict[tuple[int, str], object] = {}
        for item, (number, index) in zip(planned, positions):
            for purpose, flag in (("revocation", item["revoked"]), ("suspension", item["suspended"])):
                if not flag:
                    continue
                key = (number, purpose)
                if key not in lists:
                    lst = repo.get_status_list(session, issuer=signer.issuer, number=number, purpose=purpose)
                    assert lst is not None
                    lists[key] = lst
                    bitsets[key] = cs.StatusBits(lst.size, data=lst.bits)
                bitsets[key].set(index, True)
                touched.add(key)
        for key in touched:
            lists[key].bits = bitsets[key].to_bytes()
            issuing.sign_status_list(session, signer=signer, status_list=lists[key])
    report.credentials = len(rows)
    report.revoked = sum(1 for r in rows if r["revoked"])
    report.suspended = sum(1 for r in rows if r["suspended"])


def _set_next_index(session: Session, signer: issuing.Signer, number: int, next_index: int) -> None:
    for purpose in issuing.STATUS_PURPOSES:
        lst = repo.get_status_list(session, issuer=signer.issuer, number=number, purpose=purpose)
        if lst is not None:
            lst.next_index = max(lst.next_index, next_index)


def demo_password(secret: str, role: str) -> str:
    """The demo account password of ``role``, derived from ``secret`` (the session secret); never stored.

    Parameters
    ----------
    secret : str
        ``Settings.session_secret``.
    role : str
        One of :data:`DEMO_ACCOUNTS`.
    """
    digest = hmac.new(secret.encode("utf-8"), _PASSWORD_LABEL + role.encode("utf-8"), hashlib.sha256).digest()
    return f"{role}-{base64.urlsafe_b64encode(digest).decode('ascii')[:14]}"


def _synced_marker(secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), _PASSWORD_LABEL + b"synced", hashlib.sha256).hexdigest()[:32]


def _demo_secret(settings) -> str:
    if not settings.session_secret:
        raise ValueError("Demo accounts need a session secret (MOSAICS_SESSION_SECRET, generated in demo mode).")
    return settings.session_secret


def sync_demo_passwords(session: Session, *, settings) -> int:
    """Give the existing demo accounts the passwords derived from the current secret; returns how many changed.

    Databases seeded before passwords were derived, or under another secret, hold hashes of passwords nobody
    can look up any more. A no-op (one ``app_state`` read) once the accounts match the current secret. Audited.

    Parameters
    ----------
    session : Session
        A session inside a transaction.
    settings : Settings
        Provides the session secret.
    """
    secret = _demo_secret(settings)
    marker = _synced_marker(secret)
    if repo.get_state(session, key=DEMO_PASSWORDS_SYNCED_KEY) == marker:
        return 0
    changed = []
    for role, (email, _name, _org) in DEMO_ACCOUNTS.items():
        account = repo.get_account(session, email=email)
        password = demo_password(secret, role)
        if account is not None and not verify_password(account.password_hash, password):
            account.password_hash = hash_password(password)
            account.session_epoch = (account.session_epoch or 0) + 1  # sessions under the old password end
            changed.append(role)
    repo.set_state(session, key=DEMO_PASSWORDS_SYNCED_KEY, value=marker)
    if changed:
        repo.record_audit(session, actor="system", actor_role="system", action="demo_passwords_reset",
                          outcome="success", details={"roles": changed})
    return len(changed)


def _seed_accounts(session: Session, settings=None) -> int:
    from mosaics_match.settings import load_settings

    settings = settings or load_settings()
    secret = _demo_secret(settings)
    added = 0
    for role, (email, name, org) in DEMO_ACCOUNTS.items():
        if repo.get_account(session, email=email) is not None:
            continue
        password = demo_password(secret, role)
        earner_id = None
        if role == "earner":
            earner = repo.get_earner_by_email(session, email=email)
            if earner is None:
                earner = repo.create_earner(session, email=email, name=name, discoverable=True, share_email=True,
                                            location="Toronto, ON")
            earner_id = earner.id
        session.add(Account(email=email, display_name=name, role=role, password_hash=hash_password(password),
                            organisation=org, earner_id=earner_id))
        added += 1
        if role == "earner":
            _give_demo_earner_credentials(session, earner, settings)
    if added:
        sync_demo_passwords(session, settings=settings)
    return added


DEMO_EARNER_ACHIEVEMENT_WORDS = ("analytics", "data", "sql", "power bi", "python", "cloud")


def _give_demo_earner_credentials(session: Session, earner: Earner, settings=None) -> None:
    """The demo earner holds a few claimed data-analytics credentials, one in each proof format."""
    from mosaics_match.settings import load_settings

    settings = settings or load_settings()
    if repo.credentials_of(session, earner=earner):
        return
    signer = issuing.open_signer(session, settings=settings)
    picks = [a for a in repo.list_achievements(session)
             if any(w in (a.name + " " + a.school).lower() for w in DEMO_EARNER_ACHIEVEMENT_WORDS)][:3]
    formats = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt")
    for i, achievement in enumerate(picks):
        issued = DEMO_EPOCH - timedelta(days=40 * (i + 1))
        receipt = issuing.issue_credential(
            session, signer=signer, earner=earner, achievement=achievement, actor="system", issued_at=issued,
            valid_from=issued, valid_until=issued + timedelta(days=3 * 365), fmt=formats[i % 3], audit=False,
        )
        receipt.credential.claimed_at = issued + timedelta(days=1)


def demo_passwords(session: Session, *, settings) -> dict[str, tuple[str, str]]:
    """Role -> (email, password) of the demo accounts that exist; only ever shown when demo mode is on.

    Parameters
    ----------
    session : Session
        A read session.
    settings : Settings
        Provides the session secret the passwords are derived from.
    """
    secret = _demo_secret(settings)
    return {role: (email, demo_password(secret, role)) for role, (email, _name, _org) in DEMO_ACCOUNTS.items()
            if repo.get_account(session, email=email) is not None}


def earner_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Earner)) or 0


# --- a second issuer ------------------------------------------------------------------------------------------

PEER_MARKER = "demo_peer_seeded"
PEER_FILE = Path(__file__).resolve().parents[2] / "data" / "peer_issuer.json"


def load_peer_issuer(path: Path = PEER_FILE) -> dict:
    """The second demo issuer's content (``data/peer_issuer.json``), checked for the fields seeding reads.

    Raises
    ------
    ValueError
        Naming the file and what is missing.
    """
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        issuer, achievements = spec["issuer"], spec["achievements"]
        for key in ("name", "url", "status_list"):
            if not isinstance(issuer.get(key), str) or not issuer[key]:
                raise KeyError(f"issuer.{key}")
        if not 0 < float(spec["share"]) < 1 or int(spec["revoked_every"]) < 2 or not achievements:
            raise KeyError("share, revoked_every or achievements")
        for i, a in enumerate(achievements):
            for key in ("slug", "name", "description", "criteria"):
                if not isinstance(a.get(key), str) or not a[key]:
                    raise KeyError(f"achievements[{i}].{key}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    return spec


def _seed_peer_issuer(rt: Runtime) -> int:
    """A second issuer (a fictional certification body) with its own Ed25519 key (``did:key``) and a signed status
    list, generated now; about ``share`` of the earners (and the demo earner) hold one or two of its credentials,
    added to their profiles as if each earner had added them (verified, partners may see them). Every
    ``revoked_every``-th one is revoked on its list. Its documents live in ``peer_document`` under its reserved
    ``.example`` host; the issuer is trusted and counts in partner searches. Runs once (a marker in app_state).
    """
    from mosaics_match.credentials import keys
    from mosaics_match.credentials.build import build_credential, sign_credential
    from mosaics_match.credentials.fetcher import DictFetcher
    from mosaics_match.credentials.proofs import sign_data_integrity
    from mosaics_match.credentials.status import StatusBits, build_status_list_credential, status_entry
    from mosaics_match.credentials.verifier import VerifyContext, verify
    from mosaics_match.services import external_credentials

    with rt.Session() as session:
        if repo.get_state(session, key=PEER_MARKER) is not None:
            return 0
        people = session.execute(select(Earner.id, Earner.email, Earner.name).order_by(Earner.id)).all()
        demo_earner = repo.get_account(session, email=DEMO_ACCOUNTS["earner"][0])
        demo_earner_id = demo_earner.earner_id if demo_earner is not None else None
    spec = load_peer_issuer()
    rng = random.Random(SEED + 14)
    key = keys.generate_ed25519()
    did = keys.did_key_for(keys.public_key_of(key))
    vm = keys.did_key_verification_method(did)
    issuer = {"id": did, "name": spec["issuer"]["name"], "url": spec["issuer"]["url"]}
    list_url = spec["issuer"]["status_list"]
    now = datetime.now(UTC)
    holders = [p for p in people if p.id == demo_earner_id or rng.random() < float(spec["share"])]
    planned: list[tuple[int, dict, int, str]] = []
    bits = StatusBits()
    index = 0
    for person in holders:
        count = 1 if person.id == demo_earner_id else rng.choice((1, 1, 2))
        for achievement in rng.sample(spec["achievements"], count):
            index += 1
            issued = now - timedelta(days=rng.randint(20, 700))
            unsigned = build_credential(
                credential_id=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}", issuer=issuer,
                achievement={"id": f"{spec['issuer']['url']}/achievements/{achievement['slug']}",
                             "name": achievement["name"], "description": achievement["description"],
                             "criteria": achievement["criteria"], "alignments": achievement.get("alignments", []),
                             "achievement_type": "Certification"},
                recipient_email=person.email, salt=secrets.token_hex(8), earner_name=person.name,
                valid_from=issued, valid_until=issued + timedelta(days=3 * 365),
                status=[status_entry(list_url=list_url, index=index, purpose="revocation")])
            fmt = "eddsa-rdfc-2022" if index % 4 == 0 else "vc-jwt"
            signed = sign_credential(unsigned, key, verification_method=vm, fmt=fmt, created=issued)
            document = signed if isinstance(signed, str) else json.dumps(signed, ensure_ascii=False)
            revoked = person.id != demo_earner_id and index % int(spec["revoked_every"]) == 0
            if revoked:
                bits.set(index, True)
            planned.append((person.id, document, index, "revoked" if revoked else "valid"))
    status_doc = sign_data_integrity(
        build_status_list_credential(list_url=list_url, issuer=did, purpose="revocation", bits=bits,
                                     valid_from=now - timedelta(minutes=5)),
        key, verification_method=vm, cryptosuite="eddsa-rdfc-2022", created=now - timedelta(minutes=5))
    body = json.dumps(status_doc, ensure_ascii=False)
    etags = {list_url: external_credentials.content_digest(body)}
    # Verified like any added credential (same engine, the list as published); one context, one parsed list.
    ctx = VerifyContext(clock=lambda: now, fetcher=DictFetcher({list_url: body}))
    rows = []
    for earner_id, document, _index, state in planned:
        result = verify(document, ctx=ctx)
        expected = "invalid" if state == "revoked" else "valid"
        if result.verdict != expected:
            raise RuntimeError(f"a demo credential of the second issuer verified as {result.verdict}")
        row = external_credentials.new_record(earner_id, document, result, partners_may_see=True, now=now,
                                              state=state, status_etags=etags)
        if state == "revoked":
            row.state_detail = "Has been revoked by the issuer."
        rows.append(row)
    with rt.Session.begin() as session:
        repo.put_peer_document(session, url=list_url, body=body)
        repo.trust_issuer(session, entry=repo.TrustEntry(did, issuer["name"], "Demo: a fictional certification "
                                                         "body whose credentials some demo earners added."),
                          actor="system", actor_role="system")
        repo.set_counts_in_search(session, identifier=did, counts=True, actor="system", actor_role="system")
        session.add_all(rows)
        repo.set_state(session, key=PEER_MARKER, value=did)
        repo.bump_data_version(session)
    return len(rows)
