"""The credential CLI (verify / bake / unbake / keys), run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.credentials.test_verify_support import EMAIL, Issuer

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mosaics_match.credentials.cli", *args], cwd=REPO,
                          capture_output=True, timeout=120, input=stdin,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("cli")
    issuer = Issuer()
    issuer.publish_lists()
    good = issuer.issue(index=5)
    revoked = issuer.issue(index=6)
    issuer.bits["revocation"].set(6)
    issuer.publish_lists()
    docs = {}
    for url, doc in issuer.fetcher.documents.items():
        name = url.rsplit("/", 1)[-1] + ".json"
        (tmp / name).write_text(json.dumps(doc))
        docs[url] = name
    (tmp / "documents.json").write_text(json.dumps(docs))
    (tmp / "trust.json").write_text(json.dumps({"issuers": [{"id": issuer.did, "name": "Seneca Polytechnic"}]}))
    (tmp / "good.json").write_text(json.dumps(good))
    (tmp / "revoked.json").write_text(json.dumps(revoked))
    (tmp / "token.jwt").write_text(issuer.issue("jwt", index=7))
    (tmp / "garbage.bin").write_bytes(b"\x00\x01not a credential")
    (tmp / "deep.json").write_text("[" * 5000 + "]" * 5000)
    return {"dir": tmp, "issuer": issuer}


def _args(world: dict, *files: str) -> list[str]:
    d = world["dir"]
    return [*(str(d / f) for f in files), "--documents", str(d / "documents.json"), "--trust", str(d / "trust.json"),
            "--at", "2026-06-01T12:00:00Z", "--offline"]


def test_verify_json_lines(world: dict) -> None:
    p = run("verify", *_args(world, "good.json", "token.jwt", "revoked.json", "garbage.bin", "deep.json",
                             "missing.json"), "--json", "--email", EMAIL)
    assert p.returncode == 1, p.stderr
    lines = [json.loads(line) for line in p.stdout.decode().splitlines()]
    assert [Path(x["file"]).name for x in lines] == ["good.json", "token.jwt", "revoked.json", "garbage.bin",
                                                     "deep.json", "missing.json"]
    by = {Path(x["file"]).name: x for x in lines}
    assert by["good.json"]["verdict"] == "valid" and by["good.json"]["issuer_trusted"] is True
    assert by["good.json"]["recipient_match"] is True
    assert by["token.jwt"]["verdict"] == "valid"
    assert by["revoked.json"]["verdict"] == "invalid"
    revocation = next(c for c in by["revoked.json"]["checks"] if c["id"] == "status.revocation")
    assert revocation["status"] == "failure" and revocation["message"] == "Has been revoked by the issuer."
    assert any(p["type"].endswith(":revoked") for p in revocation["problems"])
    for bad in ("garbage.bin", "deep.json", "missing.json"):
        assert by[bad]["verdict"] == "invalid" and by[bad]["reason"]
    assert b"Traceback" not in p.stderr


def test_verify_exit_zero_when_all_valid_and_human_output(world: dict) -> None:
    p = run("verify", *_args(world, "good.json", "token.jwt"))
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    out = p.stdout.decode()
    assert "VALID - Data Visualisation Fundamentals" in out and "Has not been revoked." in out


def test_without_trust_file_issuer_is_untrusted_and_naive_at_is_utc(world: dict) -> None:
    d = world["dir"]
    p = run("verify", str(d / "good.json"), "--documents", str(d / "documents.json"), "--offline", "--json",
            "--at", "2026-06-01T12:00:00")
    line = json.loads(p.stdout)
    assert line["verdict"] == "valid" and line["issuer_trusted"] is False
    assert p.returncode == 0


@pytest.mark.parametrize("extra", [["--at", "yesterday"], ["--trust", "/nonexistent/trust.json"], ["--bogus"]])
def test_usage_errors_exit_2(world: dict, extra: list[str]) -> None:
    p = run("verify", str(world["dir"] / "good.json"), "--offline", *extra)
    assert p.returncode == 2
    assert b"Traceback" not in p.stderr


def test_stdin_input(world: dict) -> None:
    d = world["dir"]
    p = run("verify", "-", "--offline", "--documents", str(d / "documents.json"), "--at", "2026-06-01T12:00:00Z",
            "--json", stdin=(d / "good.json").read_bytes())
    assert json.loads(p.stdout)["verdict"] == "valid"


def test_bake_unbake_round_trip(world: dict, tmp_path: Path) -> None:
    svg = tmp_path / "badge.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    out = tmp_path / "baked.svg"
    p = run("bake", str(svg), str(world["dir"] / "good.json"), "-o", str(out))
    assert p.returncode == 0, p.stderr
    p = run("unbake", str(out))
    assert p.returncode == 0 and json.loads(p.stdout) == json.loads((world["dir"] / "good.json").read_text())
    p = run("verify", *_args(world), str(out), "--json")
    assert json.loads(p.stdout)["verdict"] == "valid"
    p = run("unbake", str(svg))
    assert p.returncode == 1 and b"no Open Badges" in p.stderr


def test_keys_generate(tmp_path: Path) -> None:
    p = run("keys", "generate", "--json")
    info = json.loads(p.stdout)
    assert info["did"].startswith("did:key:z6Mk") and len(info["fingerprint"]) == 19
    assert "private_key_file" not in info
    # refusing to write an unencrypted key unless explicitly asked
    p = run("keys", "generate", "--out", str(tmp_path / "k.pem"))
    assert p.returncode == 2 and not (tmp_path / "k.pem").exists()
    p = run("keys", "generate", "--out", str(tmp_path / "k.pem"), "--passphrase-env", "TEST_KEY_PASS", "--json",
            env={"TEST_KEY_PASS": "correct horse battery staple"})
    assert p.returncode == 0, p.stderr
    pem = (tmp_path / "k.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert oct((tmp_path / "k.pem").stat().st_mode & 0o777) == "0o600"
    p = run("keys", "generate", "--out", str(tmp_path / "k.pem"), "--unencrypted")
    assert p.returncode == 1  # never overwrites
