"""Bounds on the work a submitted credential can cause, the per-session rate limit of the verification pages, and
a prompt exit on SIGTERM while the server is busy verifying.

1. ``check_json_limits`` counts values the way JSON-LD will group them (nested arrays, ``@set``, ``@nest``, one
   node per ``id`` even when spelled through an inline alias, map containers, full-IRI keys) and refuses with a
   specific message before any JSON-LD processing; ``verify`` applies it to every input kind.
2. The verify and batch pages take from a per-session token bucket and say how long to wait when it is empty.
3. ``streamlit run portal.py`` exits within a few seconds of SIGTERM while clients keep it verifying
   worst-case-within-limits credentials over HTTP.

CPU cost is measured by ``bench/bench_verify_adversarial.py``, not here.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import re
import select
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mosaics_match.credentials.bake import bake_png, bake_svg
from mosaics_match.credentials.build import sign_credential
from mosaics_match.credentials.inputs import InputError, Limits, check_json_limits, json_depth_exceeds
from mosaics_match.credentials.multibase import multibase_encode
from mosaics_match.credentials.verifier import VerifyContext, verify
from tests.conftest import app_test, running_portal, session_token_for
from tests.credentials.test_verify_support import NOW, Issuer, statuses

LIMITS = Limits()
PER_PROPERTY = LIMITS.max_values_per_property
TAGS_5000 = "The credential has 5,000 values under tag; the limit is 256."


def _refusal(doc: Any, limits: Limits = LIMITS) -> InputError:
    with pytest.raises(InputError) as info:
        check_json_limits(doc, limits)
    return info.value


def _missigned(issuer: Issuer, cred: dict) -> dict:
    """``cred`` with a well-formed proof by ``issuer``'s key that matches nothing (the work is done before the
    signature is found wrong)."""
    return {**cred, "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                              "created": "2026-05-01T00:00:00Z", "verificationMethod": issuer.vm,
                              "proofPurpose": "assertionMethod", "proofValue": multibase_encode(os.urandom(64))}}


def _with_tags(issuer: Issuer, count: int) -> dict:
    cred = issuer.unsigned()
    cred["credentialSubject"]["achievement"]["tag"] = [f"tag {i}" for i in range(count)]
    return cred


# --- 1. the walk --------------------------------------------------------------------------------------------------

def test_too_many_values_under_one_property_is_refused_with_a_plain_message() -> None:
    err = _refusal(_with_tags(Issuer(), 5_000))
    assert err.code == "too-many-values"
    assert err.detail == TAGS_5000
    assert err.pointer == "/credentialSubject/achievement/tag"
    check_json_limits(_with_tags(Issuer(), PER_PROPERTY), LIMITS)  # exactly at the limit is fine


@pytest.mark.parametrize("name,doc,label", [
    ("nested arrays", {"tag": [[f"a{i}" for i in range(150)], [[f"b{i}" for i in range(150)]]]}, "tag"),
    ("@set objects", {"tag": [{"@set": [f"a{i}" for i in range(150)]}, {"@set": [f"b{i}" for i in range(150)]}]},
     "tag"),
    ("one id, two objects", {"items": [{"id": "urn:x:1", "tag": [f"a{i}" for i in range(150)]},
                                       {"id": "urn:x:1", "tag": [f"b{i}" for i in range(150)]}]}, "tag"),
    ("@id spelled through an inline alias", {
        "@context": [{"ident": "@id"}],
        "items": [{"ident": "urn:x:1", "tag": [f"a{i}" for i in range(150)]},
                  {"@id": "urn:x:1", "tag": [f"b{i}" for i in range(150)]}]}, "tag"),
    ("term and full IRI", {"tag": [f"a{i}" for i in range(150)],
                           "https://purl.imsglobal.org/spec/vc/ob/vocab.html#tag": [f"b{i}" for i in range(150)]},
     "tag"),
    ("@nest", {"tag": [f"a{i}" for i in range(150)], "@nest": {"tag": [f"b{i}" for i in range(150)]}}, "tag"),
    ("@index map", {"@context": [{"tags": {"@id": "https://example.org/tags", "@container": "@index"}}],
                    "tags": {"first": [f"a{i}" for i in range(150)], "second": [f"b{i}" for i in range(150)]}},
     "tags"),
    ("reverse references to one node", {f"holder{i}": {"@reverse": {"member": {"id": "urn:x:group"}}}
                                        for i in range(300)}, "member"),
])
def test_values_json_ld_merges_into_one_property_are_counted_together(name: str, doc: dict, label: str) -> None:
    err = _refusal(doc)
    assert err.code == "too-many-values", name
    found = re.fullmatch(r"The credential has ([\d,]+) values under (\S+); the limit is 256\.", err.detail)
    assert found is not None, (name, err.detail)
    assert int(found.group(1).replace(",", "")) >= 300 and found.group(2) == label, (name, err.detail)
    # split in halves, each JSON array alone is within the limit
    assert all(len(v) <= PER_PROPERTY for v in _arrays(doc))


def _arrays(value: Any) -> list[list]:
    found, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            found.append(v)
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return found


def test_many_medium_lists_are_refused_by_the_comparison_budget() -> None:
    each = 200  # under the per-property limit, but 8 of them need 159,200 comparisons
    doc = {"items": [{"id": f"urn:x:{i}", "tag": [f"t{j}" for j in range(each)]} for i in range(8)]}
    err = _refusal(doc)
    assert err.code == "too-many-comparisons"
    assert err.detail.startswith("The credential has too many long lists of values (8 lists of up to 200 values "
                                 "under tag")
    assert err.detail.endswith("Reading them takes 159,228 value comparisons; the limit is 100,000.")


def test_too_many_json_values_strings_numbers_and_contexts() -> None:
    err = _refusal({"a": {f"k{i}": {"b": i} for i in range(3_000)}})
    assert err.code == "too-many-nodes"
    assert err.detail == ("The credential has more than 5,000 JSON values (objects, arrays, strings, numbers and "
                          "so on); the limit is 5,000.")

    err = _refusal({"description": "x" * (LIMITS.max_string_chars + 1)})
    assert (err.code, err.pointer) == ("string-too-long", "/description")
    assert err.detail == "A string under description in the credential is 1,000,001 characters long; the limit is " \
                         "1,000,000."
    assert _refusal({"k" * (LIMITS.max_string_chars + 1): 1}).code == "string-too-long"

    for huge in (float("inf"), 10 ** 400, -(10 ** 400)):
        err = _refusal({"credits": [1, huge]})
        assert err.code == "number-too-large" and "under credits" in err.detail
    check_json_limits({"credits": [10 ** 300, 1.5e308, True]}, LIMITS)

    err = _refusal({"@context": ["https://www.w3.org/ns/credentials/v2"] * 20,
                    "a": {"@context": ["https://w3id.org/security/data-integrity/v2"] * 13}})
    assert err.code == "too-many-contexts" and err.detail.startswith("The credential has 33 @context entries")


def test_the_walk_needs_no_recursion() -> None:
    deep: Any = "bottom"
    for _ in range(200_000):
        deep = [deep]
    check_json_limits({"a": deep}, Limits(max_json_nodes=10 ** 6))  # far past the interpreter's recursion limit


def test_documents_other_than_credentials_are_named_in_the_message() -> None:
    with pytest.raises(InputError) as info:
        check_json_limits({"verificationMethod": [{"id": f"#k{i}"} for i in range(300)]}, LIMITS, what="DID document")
    assert info.value.detail == "The DID document has 300 values under verificationMethod; the limit is 256."


def test_input_error_keeps_its_two_argument_form() -> None:
    err = InputError("too-large", "The input is larger than 4,000,000 bytes.")
    assert (err.code, err.detail, err.pointer, str(err)) == ("too-large", err.detail, None, err.detail)


def test_waits_are_described_in_plain_words() -> None:
    from mosaics_match.web.ratelimit import describe_wait

    assert [describe_wait(s) for s in (0, 1, 45, 60, 200, 3599, 3600, 3601, 7500)] == [
        "1 second", "1 second", "45 seconds", "1 minute", "3 minutes 20 seconds", "59 minutes 59 seconds",
        "1 hour", "1 hour 1 minute", "2 hours 5 minutes"]


def test_depth_scan_is_exact_and_does_not_stall_on_unterminated_strings() -> None:
    assert json_depth_exceeds(b"[" * 33 + b"]" * 33, 32)
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32, 32)
    assert not json_depth_exceeds(json.dumps({"a": "[" * 100}).encode(), 3)
    assert not json_depth_exceeds(json.dumps({"a": '\\"' + "[" * 100}).encode(), 3)
    # Every quote after the first opens a string that never closes: one pass, not one per quote.
    assert json_depth_exceeds(b"[" * 40 + b'"' + b'\\"' * 500_000, 32)
    assert not json_depth_exceeds(b"[" * 10 + b'"' + b'\\"' * 500_000 + b"[" * 40, 32)


# --- 1. verify() refuses at input.limits, for every input kind -----------------------------------------------------

def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


def _inputs_with_5000_tags() -> dict[str, Any]:
    issuer = Issuer()
    cred = _with_tags(issuer, 5_000)
    signed = _missigned(issuer, cred)  # signing it for real would canonicalize it: the very cost being refused
    token = sign_credential(cred, issuer.private_key, fmt="jwt")
    assert isinstance(token, str)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    return {
        "json": json.dumps(signed).encode(),
        "object": signed,
        "jws": token.encode(),
        "jws in a JSON string": json.dumps(token).encode(),
        "baked png": bake_png(_png(), signed),
        "baked svg (jws)": bake_svg(svg, token).encode(),
    }


@pytest.fixture(scope="module")
def inputs_with_5000_tags() -> dict[str, Any]:
    return _inputs_with_5000_tags()


@pytest.mark.parametrize("kind", ["json", "object", "jws", "jws in a JSON string", "baked png", "baked svg (jws)"])
def test_verify_refuses_every_input_kind_at_input_limits(inputs_with_5000_tags: dict[str, Any], kind: str) -> None:
    result = verify(inputs_with_5000_tags[kind], ctx=VerifyContext(clock=lambda: NOW))
    assert result.verdict == "invalid"
    check = result.check("input.limits")
    assert check is not None and check.status == "failure"
    assert check.message == TAGS_5000
    assert check.problems[0]["type"].endswith(":too-many-values")
    assert check.problems[0]["pointer"] == "/credentialSubject/achievement/tag"
    assert result.reason == TAGS_5000
    # refused before anything was read as linked data
    s = statuses(result)
    assert s["input.format"] == s["jsonld.lossless"] == s["proof.signature"] == "skipped"


def test_a_generous_real_credential_still_verifies() -> None:
    """Three subjects, each with 120 ESCO alignments and 60 tags (OB 3.0 allows all of it)."""
    issuer = Issuer()
    issuer.publish_lists()
    cred = issuer.unsigned()
    subjects = []
    for s in range(3):
        subject = copy.deepcopy(cred["credentialSubject"])
        ach = subject["achievement"]
        ach["id"] = f"{ach['id']}-{s}"
        ach["alignment"] = [{"type": ["Alignment"], "targetName": f"skill {s}-{i}", "targetFramework": "ESCO",
                             "targetUrl": f"http://data.europa.eu/esco/skill/{s:02d}{i:06d}"} for i in range(120)]
        ach["tag"] = [f"tag {s}-{i}" for i in range(60)]
        subjects.append(subject)
    cred["credentialSubject"] = subjects
    signed = sign_credential(cred, issuer.private_key, created=NOW)
    result = verify(json.dumps(signed).encode(), ctx=issuer.ctx())
    assert statuses(result)["input.limits"] == "success"
    assert result.verdict == "valid", [(c.id, c.message) for c in result.checks if c.status != "success"]


def test_a_jws_with_an_unterminated_string_is_refused_as_malformed() -> None:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    # Brackets inside the string count for the JWS parser's nesting scan (over 32 of them start it), not for depth.
    payload = b"[" * 20 + b'"' + b'\\"[' * 60_000
    token = f"{b64(json.dumps({'alg': 'EdDSA'}).encode())}.{b64(payload)}.{b64(os.urandom(64))}"
    for data in (token.encode(), json.dumps(token).encode()):
        result = verify(data, ctx=VerifyContext(clock=lambda: NOW))
        check = result.check("input.format")
        assert check is not None and check.status == "failure"
        assert check.message == "The signed token is malformed."
        assert "Unterminated string" in check.problems[0]["detail"]


# --- 2. the pages' rate limit ------------------------------------------------------------------------------------

# One token an hour: refills never happen during a test, however slow the machine.
AN_HOUR = 1 / 3600


def _errors(at) -> str:
    return " | ".join(e.value for e in at.error).replace("\\", "")


def _paste(at, text: str) -> None:
    at.text_area(key="verify_paste").input(text)
    at.button(key="verify_paste_go").click()
    at.run()
    assert not at.exception, at.exception


def test_verify_page_refuses_past_the_session_burst_and_says_how_long_to_wait(portal_env, seeded_rt,
                                                                              monkeypatch) -> None:
    import pages.verification_view as page
    from mosaics_match.store import repo

    # A burst of 2 that takes an hour per token to refill, so the test does not depend on the machine's speed.
    monkeypatch.setitem(page.SESSION_RATES, "verify", (AN_HOUR, 2))
    wait = r"59 minutes \d+ seconds|1 hour"  # one token short
    with seeded_rt.Session() as session:
        earner = repo.get_earner_by_email(session, email="earner@mosaics.example")
        document = next(iter(repo.credentials_of(session, earner=earner))).document
    at = app_test("pages/verify.py")
    assert not at.exception, at.exception
    for _ in range(2):
        _paste(at, document)
        assert "**Verified**" in " ".join(s.value for s in at.success), _errors(at)
    _paste(at, document)
    assert re.fullmatch("You have checked many credentials in a short time. To keep the portal quick for everyone, "
                        f"please wait ({wait}) and try again.", _errors(at)), _errors(at)
    assert not at.success  # the third was not verified
    # Another browser session has a bucket of its own; the batch page has its own limiter.
    assert page.session_limiter("verify").take("another browser session").allowed
    assert page.session_limiter("verify").take("another browser session").allowed
    assert not page.session_limiter("verify").take("another browser session").allowed
    assert page.session_limiter("batch") is not page.session_limiter("verify")
    # The page still works: an empty paste gets its own message, no traceback.
    _paste(at, "  ")
    assert _errors(at).startswith("Paste a credential first")


def _zip(entries: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_batch_page_takes_one_token_per_credential_and_refuses_a_batch_it_cannot_afford(portal_env, seeded_rt,
                                                                                        monkeypatch) -> None:
    from sqlalchemy import select

    import pages.verification_view as page
    from mosaics_match.store.models import IssuedCredential

    monkeypatch.setitem(page.SESSION_RATES, "batch", (AN_HOUR, 4))
    wait = r"1 hour 5\d minutes|2 hours"  # two tokens short
    with seeded_rt.Session() as session:
        documents = [r.document.encode() for r in session.scalars(select(IssuedCredential).limit(3))]
    token = session_token_for(portal_env, "employer@mosaics.example")
    at = app_test("pages/batch_verify.py", token=token)
    assert not at.exception, at.exception

    def run_batch(entries: dict[str, bytes]) -> None:
        at.file_uploader(key="batch_files").set_value([("batch.zip", _zip(entries), "application/zip")])
        at.run()
        at.button(key="batch_go").click()
        at.run()
        assert not at.exception, at.exception

    three = {f"c{i}.json": d for i, d in enumerate(documents)}
    run_batch(three)  # 3 of the 4 tokens
    assert len(at.dataframe[0].value) == 3 and not at.error
    run_batch(three)  # needs 3, has 1: refused whole
    assert re.fullmatch("You have checked many credentials in a short time. To keep the portal quick for everyone, "
                        f"please wait ({wait}) and try again. A smaller batch may be checked sooner.",
                        _errors(at)), _errors(at)
    assert len(at.dataframe[0].value) == 3  # the earlier results are still shown
    run_batch({"one.json": documents[0]})  # the refused batch took nothing: one credential still fits
    assert len(at.dataframe[0].value) == 1 and not at.error
    run_batch({"one.json": documents[0]})
    assert "please wait" in _errors(at)


# --- 3. SIGTERM while busy ----------------------------------------------------------------------------------------

def _heaviest_within_limits(issuer: Issuer) -> bytes:
    """About 4,900 JSON values in subjects with alignment lists: the largest shape the limits let through."""
    cred = issuer.unsigned()
    template = cred["credentialSubject"]
    subjects = []
    while True:
        subject = copy.deepcopy(template)
        ach = subject["achievement"]
        ach["id"] = f"{ach['id']}-{len(subjects)}"
        ach["alignment"] = [{"type": ["Alignment"], "targetName": f"skill {len(subjects)}-{i}",
                             "targetUrl": f"http://data.europa.eu/esco/skill/{len(subjects):03d}{i:05d}"}
                            for i in range(24)]
        trial = {**cred, "credentialSubject": [*subjects, subject]}
        try:
            check_json_limits(_missigned(issuer, trial), LIMITS)
        except InputError:
            break
        subjects.append(subject)
    assert len(subjects) > 10
    return json.dumps(_missigned(issuer, {**cred, "credentialSubject": subjects})).encode()


def _poison_within_limits(issuer: Issuer, k: int = 9) -> bytes:
    """Within every input limit, yet minutes of CPU: two identical result descriptions with ``k`` identical
    rubric levels make every blank node's RDFC-1.0 first-degree hash collide, and canonicalization tries all k!
    orders of the levels (this is not bounded by the input limits; see the benchmark)."""
    cred = issuer.unsigned()
    levels = [{"type": ["RubricCriterionLevel"], "name": "Level"} for _ in range(k)]
    cred["credentialSubject"]["achievement"]["resultDescription"] = [
        {"type": ["ResultDescription"], "name": "Result", "resultType": "Status",
         "rubricCriterionLevel": copy.deepcopy(levels)} for _ in range(2)]
    doc = _missigned(issuer, cred)
    check_json_limits(doc, LIMITS)
    return json.dumps(doc).encode()


def _server_pid(port: int) -> int:
    """The pid of the ``streamlit run`` child of this process serving ``port``."""
    me, wanted = os.getpid(), str(port).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and b"streamlit" in argv and wanted in argv:
            return int(entry.name)
    raise AssertionError(f"no streamlit child serving port {port}")


def _exits_within(pid: int, seconds: float) -> bool:
    """Whether ``pid`` terminates within ``seconds`` (a pidfd turns readable when it does; nothing is polled)."""
    fd = os.pidfd_open(pid)
    try:
        readable, _, _ = select.select([fd], [], [], seconds)
        return bool(readable)
    finally:
        os.close(fd)


def test_server_exits_promptly_on_sigterm_while_busy_verifying(tmp_path, seeded_sqlite, monkeypatch) -> None:
    issuer = Issuer()
    heavy, endless = _heaviest_within_limits(issuer), _poison_within_limits(issuer)
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")  # SIGABRT then dumps every thread's stack into the log
    with running_portal(tmp_path, seeded_sqlite) as portal:
        url = portal["url"] + "/api/v1/verify"
        pid = _server_pid(int(portal["url"].rsplit(":", 1)[1]))
        stop = threading.Event()
        answered = threading.Semaphore(0)
        seen: list[int] = []

        def client(body: bytes) -> None:
            while not stop.is_set():
                request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=600) as response:
                        seen.append(response.status)
                except urllib.error.HTTPError as exc:
                    seen.append(exc.code)
                except OSError:
                    return  # the server has gone
                answered.release()

        # Two clients send the look-alike blank-node credential, two the heaviest bounded one, in a loop.
        clients = [threading.Thread(target=client, args=(body,), daemon=True)
                   for body in (endless, endless, heavy, heavy)]
        for t in clients:
            t.start()
        # Two answers prove the server is verifying; more requests are in flight by then.
        for _ in range(2):
            assert answered.acquire(timeout=120), portal["log"].read_text()[-3000:]
        assert seen[:2] == [200, 200]
        os.kill(pid, signal.SIGTERM)
        exited = _exits_within(pid, 10)
        stop.set()
        if not exited:
            os.kill(pid, signal.SIGABRT)
            _exits_within(pid, 10)
        for t in clients:
            t.join(timeout=60)
        assert exited, "still running 10 s after SIGTERM; thread dump:\n" + portal["log"].read_text()[-12000:]
        # Since RDFC-1.0 has a work budget no verification runs long, so the graceful shutdown usually finishes
        # first; the 5 s timer in portal.py ("exiting now") stays as the net for anything that still would.


def test_blank_nodes_too_alike_to_canonicalize_are_refused_by_rdfc_work_budget() -> None:
    # Within every input limit, a graph of look-alike blank nodes makes RDFC-1.0 try k! orders; the
    # canonicalizer's own step budget refuses it instead of spending minutes on it.
    from mosaics_match.credentials import jsonld

    issuer = Issuer()
    poison = json.loads(_poison_within_limits(issuer, k=9))
    with pytest.raises(jsonld.ContextError) as caught:
        jsonld.canonicalize({k: v for k, v in poison.items() if k != "proof"})
    assert caught.value.code == "jsonld.too_complex" and "too alike" in caught.value.detail
    r = verify(json.dumps(poison).encode(), ctx=VerifyContext())
    assert r.verdict == "invalid"
    assert r.check("jsonld.lossless").status == "failure"
    assert "too alike" in r.check("jsonld.lossless").problems[0]["detail"]


def test_a_fetched_status_list_over_the_work_limits_is_not_processed() -> None:
    # A status list comes from a URL the credential names: as hostile as an upload, so the same work limits
    # apply before anything reads it, and the status stays unconfirmed.
    issuer = Issuer()
    issuer.publish_lists()
    cred = issuer.issue("eddsa-rdfc-2022")
    ctx = issuer.ctx()
    assert verify(cred, ctx=ctx).verdict == "valid"
    url = next(e["statusListCredential"] for e in cred["credentialStatus"] if e["statusPurpose"] == "revocation")
    bloated = json.loads(json.dumps(issuer.fetcher.documents[url]))
    bloated["credentialSubject"]["tag"] = [f"t{i}" for i in range(LIMITS.max_values_per_property + 1)]
    issuer.fetcher.add(url, bloated)
    r = verify(cred, ctx=issuer.ctx())
    assert r.verdict == "indeterminate"
    detail = r.check("status.revocation").problems[0]["detail"]
    assert "values under tag" in detail and "limit" in detail


def test_token_depth_scan_ignores_brackets_in_an_unterminated_string() -> None:
    from mosaics_match.credentials.jwt import json_depth

    assert json_depth('[[{"a": "[[[[[[') == 3
    assert json_depth('["a\\"[[", [1]]') == 2
