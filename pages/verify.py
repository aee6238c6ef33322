"""Verify one credential: upload, paste, deep link (?credential=<id>) or a photo of the certificate's QR code.

No sign-in needed. The result is one verdict banner, one line per check, a card of what the credential says,
a Re-verify button and the report downloads. ``render_verification`` is also used by the batch page for the
detail view of a row (importing this module does not run the page: Streamlit runs pages as ``__main__``), and so
is the per-session rate limit (``take_verifications``): every verification either page runs takes from it.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit
from datetime import timezone

import streamlit as st

from mosaics_match.exports import reports
from mosaics_match.services import verification
from mosaics_match.services.auth import Viewer
from mosaics_match.inputs.batch import BatchLimits
from mosaics_match.services.issuing import credential_url
from mosaics_match.web.ratelimit import Decision, TokenBucketLimiter, describe_wait
from mosaics_match.services.verification import CANNOT_CONFIRM, NOT_VALID, VERIFIED, PortalVerification

#: The one size limit of a credential file, in MB (the engine's own input bound). The uploader takes anything the
#: server accepts and the page answers an over-size file with a visible message, instead of the widget's own
#: per-file limit, whose refusal is only a red icon with a hover text.
MAX_FILE_MB = 4
MAX_FILE_BYTES = MAX_FILE_MB * 1_000_000
MAX_PASTE_CHARS = 400_000
UPLOAD_TYPES = ["json", "jwt", "png", "svg"]
PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp"]
MAX_PHOTO_MB = 12  # the QR reader's bound (mosaics_match.exports.qr.MAX_IMAGE_BYTES); it says so when a photo is larger
STATE = "verify_current"
# Verifications per browser session, as the HTTP API limits each client address: (tokens per second, burst).
# A batch takes one token per credential, so a full batch empties its bucket.
SESSION_RATES = {"verify": (1.0, 30), "batch": (1.0, BatchLimits().max_files)}

_ICONS = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]",
          None: ":orange[:material/error:]"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG photo"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"), (b"\x1f\x8b", "a compressed (gzip) file"), (b"RIFF", "a media file"),
)


def md(text: object) -> str:
    """Escape credential-supplied text for Markdown (it comes from the uploader, so it must not format)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _safe_url(url: str | None) -> str | None:
    if not url or not re.match(r"^https?://[^\s<>\"'()\[\]]+$", url):
        return None
    return url


def _what_it_is(data: bytes) -> str | None:
    for magic, label in _MAGIC:
        if data.startswith(magic):
            return label
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "an XML or HTML document" if b"<svg" not in data[:65536] else "an SVG image"
    if head.startswith((b"{", b"[")):
        return "JSON text"
    return None


def upload_problem(name: str, data: bytes) -> str | None:
    """A specific message when an upload is too large, empty, or not what its extension says; else ``None``."""
    size = len(data)
    if size == 0:
        return f"“{name}” is empty."
    if size > MAX_FILE_BYTES:
        return (f"“{name}” is {size / 1_000_000:.1f} MB; the largest credential file accepted is "
                f"{MAX_FILE_MB} MB. A badge image or credential is normally well under 1 MB.")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    actual = _what_it_is(data)
    expected = {"png": "a PNG image", "svg": "an SVG image", "json": "JSON text"}.get(ext)
    if expected is not None and actual != expected:
        found = f"it is {actual}" if actual else "its content is not recognisable"
        return f"“{name}” is named .{ext} but is not {expected}: {found}. Upload the original badge file."
    if ext == "jwt":
        from mosaics_match.credentials.inputs import detect_kind

        if detect_kind(data) != "jws":
            found = f"it is {actual}" if actual else "it does not have the three dot-separated parts of a token"
            return f"“{name}” is named .jwt but is not a signed token: {found}."
    return None


def _png_size_ok(data: bytes, limit: int = 4096) -> bool:
    """Whether a PNG's header declares a size worth showing (a decompression bomb claims huge dimensions)."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return False
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0 < width <= limit and 0 < height <= limit


def _svg_img(svg: str, width: int = 150) -> str:
    # Shown through <img>, where an SVG cannot run scripts or load anything.
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" width="{width}" alt="Badge image"/>'


def _banner(pv: PortalVerification) -> None:
    if pv.input_problem:
        # The input could not be read as a credential: that is a problem with what was given, not a verdict.
        noun = "text" if pv.source in verification.TEXT_SOURCES else "file"
        st.warning(f"**Nothing was checked: this {noun} could not be read as a credential.** {md(pv.input_problem)}",
                   icon=":material/edit_note:")
        return
    text = f"**{pv.headline}** — {md(pv.reason)}"
    if pv.verdict == VERIFIED:
        st.success(text, icon=":material/verified:")
    elif pv.verdict == NOT_VALID:
        st.error(text, icon=":material/cancel:")
    else:
        st.warning(text, icon=":material/help:")
    if pv.authenticity == "forged":
        st.caption(":material/gpp_bad: **Not authentic.** The signature does not match the content: this file was altered after "
                   "it was issued, or it was never issued by the named issuer.")
    elif pv.verdict == CANNOT_CONFIRM and pv.authenticity == "authentic" and not pv.result.issuer_trusted:
        st.caption(":material/travel_explore: **Authentic, but from an issuer you do not know.** The signature is genuine and nothing was "
                   "changed; the portal simply has no record that this issuer is trustworthy. It is not a "
                   "forgery.")


def _card(pv: PortalVerification) -> None:
    card = pv.card
    if card is None:
        return
    confirmed = pv.authenticity == "authentic"
    with st.container(border=True, key="verify_card_confirmed" if confirmed else "verify_card_claims"):
        if not confirmed:
            st.error("**What the file claims (not confirmed)** — the checks above could not confirm that the issuer "
                     "wrote this. Do not rely on the name, the achievement or the dates below.",
                     icon=":material/report:")
        left, right = st.columns([1, 4])
        with left:
            if not confirmed:
                # No badge picture beside unconfirmed claims: a real issuer's badge would lend them its authority.
                st.markdown(":material/help:")
            elif card.image_png is not None and _png_size_ok(card.image_png):
                # The browser decodes it; the server never expands the pixels of an upload.
                data = base64.b64encode(card.image_png).decode("ascii")
                st.markdown(f'<img src="data:image/png;base64,{data}" width="150" alt="Badge image"/>',
                            unsafe_allow_html=True)
            elif card.image_svg:
                st.markdown(_svg_img(card.image_svg), unsafe_allow_html=True)
            else:
                st.markdown(":material/school:")
        with right:
            if confirmed:
                st.subheader(card.achievement or "(no achievement name)", anchor=False)
            else:
                st.markdown(f"**Claimed achievement:** {md(card.achievement or '(none)')}")
            facts = []
            claimed = "" if confirmed else "Claimed "
            if card.earner_name:
                facts.append(f"**{claimed}{'earner' if claimed else 'Earner'}:** {md(card.earner_name)}")
            issuer = md(card.issuer_name or card.issuer_id or "unknown")
            facts.append(f"**{claimed}{'issuer' if claimed else 'Issuer'}:** {issuer}")
            if card.cosigners:
                facts.append("**Also signed by:** " + ", ".join(md(c) for c in card.cosigners))
            facts.append(f"**Valid from:** {reports.human_date(card.valid_from)}")
            facts.append("**Valid until:** " + (reports.human_date(card.valid_until) if card.valid_until
                                                else "does not expire"))
            st.markdown(" · ".join(facts))
            extra = [f"{k.capitalize()}: {md(v)}" for k, v in card.details.items() if k in ("partner", "hours", "level")]
            if extra:
                st.caption(" · ".join(extra))
            if card.description:
                st.markdown(md(card.description))
        if card.criteria:
            st.markdown(f"**Criteria.** {md(card.criteria)}")
        if card.competencies:
            st.markdown("**Competencies**")
            items = []
            for comp in card.competencies:
                url = _safe_url(comp.url)
                label = md(comp.name)
                if url and comp.is_esco:
                    items.append(f"- {label} — [ESCO: {md(comp.code or 'skill')}]({url})")
                elif url:
                    items.append(f"- {label} — [{md(comp.framework or 'details')}]({url})")
                else:
                    items.append(f"- {label}")
            st.markdown("\n".join(items))
        cid = (card.credential_id or "—").replace("`", "'")[:200]
        iid = (card.issuer_id or "—").replace("`", "'")[:200]
        st.caption(f"Credential id: `{cid}` · Issuer id: `{iid}`")


def render_verification(pv: PortalVerification, *, key: str, base_url: str | None,
                        on_reverify: Callable[[], None] | None = None, link: str | None = None) -> None:
    """Show one verification: verdict banner, check lines, credential card, Re-verify and downloads.

    Parameters
    ----------
    pv : PortalVerification
        The result to show.
    key : str
        Unique widget-key prefix (the batch page shows one detail at a time).
    base_url : str | None
        This portal's address (printed in the reports).
    on_reverify : callable, optional
        Called when Re-verify is pressed (as a button callback, before the page reruns).
    link : str, optional
        Where this credential can be checked again (printed in the PDF report): only a link the viewer may
        already use (a published credential, or the earner's share link they opened).
    """
    _banner(pv)
    if pv.input_problem:
        return  # nothing was read, so there are no checks, no card and nothing to report
    st.markdown("\n".join(f"{_ICONS[line.ok]} {md(line.text)}  " for line in pv.lines))
    checked = pv.checked_at.astimezone(timezone.utc)
    cols = st.columns([2, 1, 1, 1])
    cols[0].caption(f"Last checked {checked:%d %B %Y at %H:%M:%S} UTC")
    if on_reverify is not None:
        cols[1].button("Re-verify", key=f"{key}_reverify", on_click=on_reverify, icon=":material/refresh:",
                       help="Check again now (status and trust can change).")
    stem = reports.report_file_stem(pv)
    # on_click="ignore": a download must not rerun the page, or a second download clicked while that rerun
    # replaces the first one's files finds its file gone.
    cols[2].download_button("Report (JSON)", data=lambda: reports.report_json(pv, base_url=base_url),
                            file_name=f"{stem}.json", mime="application/json", key=f"{key}_json",
                            icon=":material/data_object:", on_click="ignore")
    cols[3].download_button("Report (PDF)",
                            data=lambda: reports.report_pdf(pv, base_url=base_url, verification_link=link),
                            file_name=f"{stem}.pdf", mime="application/pdf", key=f"{key}_pdf",
                            icon=":material/picture_as_pdf:", on_click="ignore")
    _card(pv)
    with st.expander("Technical details (every check)"):
        for c in pv.result.checks:
            st.markdown(f"`{c.id}` — **{c.status}** — {md(c.message)}")
            for p in c.problems[:5]:
                st.caption(f"{md(p.get('title', ''))}: {md(p.get('detail', ''))}"
                           + (f" (at `{p['pointer']}`)" if p.get("pointer") else ""))


# --- rate limit ------------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def session_limiter(kind: str) -> TokenBucketLimiter:
    """The limiter of one kind of page (``"verify"`` or ``"batch"``), shared by every browser session of this
    server process; each session has its own bucket in it."""
    rate, burst = SESSION_RATES[kind]
    return TokenBucketLimiter(rate, burst)


def session_key() -> str:
    """The id of the browser session running this script (the bucket key)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def take_verifications(kind: str, count: int = 1) -> Decision:
    """Take ``count`` verifications from this browser session's bucket for page ``kind``.

    Returns
    -------
    Decision
        Whether to verify now and, if not, how many seconds to wait.
    """
    # Through the imported module: this file also runs as the page script (as __main__), and st.cache_resource
    # tells functions apart by module, so the local copy would hand the page a limiter of its own.
    from pages import verify as shared

    return shared.session_limiter(kind).take(session_key(), cost=count)


def rate_limited_message(decision: Decision) -> str:
    """What a visitor reads when this session has verified too much in a short time."""
    return (f"You have checked many credentials in a short time. To keep the portal quick for everyone, please wait "
            f"{describe_wait(decision.retry_after)} and try again.")


# --- the page -------------------------------------------------------------------------------------------------

def _run(rt, viewer: Viewer, data: bytes, *, source: str, file_name: str | None, email: str | None,  # noqa: ANN001
         link: str | None = None) -> None:
    decision = take_verifications("verify")
    if not decision.allowed:
        _fail(rate_limited_message(decision))
        return
    try:
        pv = verification.verify_submission(rt, data, email=email, viewer=viewer, source=source,
                                            file_name=file_name)
    except Exception:  # the engine never raises; this is the database or the server itself
        logging.getLogger(__name__).exception("verification failed")
        _fail("The check could not be completed right now because of a problem on our side. Nothing is wrong "
              "with your file as far as we know; please try again in a minute.")
        return
    st.session_state[STATE] = {"data": data, "source": source, "file_name": file_name, "pv": pv, "link": link}
    st.session_state.pop("verify_error", None)


def _fail(message: str) -> None:
    st.session_state["verify_error"] = message
    st.session_state.pop(STATE, None)


def _verify_issued(rt, viewer: Viewer, credential_id: str, *, source: str, email: str | None,  # noqa: ANN001
                   host: str | None = None, base_url: str | None = None, share: str | None = None) -> None:
    with rt.Session.begin() as session:
        access = verification.open_issued(session, credential_id, share=share, viewer=viewer)
    ours = urlsplit(base_url).hostname if base_url else None
    if access.outcome == "not_found" and host and ours and host.lower() != ours.lower():
        _fail(f"The link points to another website ({host}). Only credentials issued by this portal can be "
              "checked from a link; ask the candidate for the badge file instead.")
    elif access.outcome == "not_found":
        _fail(f"No credential with the id “{credential_id[:100]}” was issued by this portal. Check the link, or "
              "ask the candidate for the badge file.")
    elif access.outcome == "withdrawn":
        _fail("This verification link no longer opens the credential: its holder has withdrawn it or made a new "
              "one. Ask them for their current link, or for the badge image, and check that instead.")
    elif not access.ok:
        _fail("The holder of this credential has not shared it through this link. Ask them for their verification "
              "link (it ends with “&share=…”), or for the badge image, and check that instead.")
    else:
        link = credential_url(base_url, credential_id, access.share_token) if base_url and (
            access.outcome in ("public", "share")) else None
        _run(rt, viewer, access.document.encode("utf-8"), source=source, file_name=None, email=email, link=link)


@st.cache_resource(show_spinner=False)
def _warm_engine(_rt) -> bool:  # noqa: ANN001
    """Verify one stored credential once per process (no audit): loads the engine, contexts and status lists
    before the first visitor uploads anything, so the first verdict is as fast as the next ones."""
    from sqlalchemy import select

    from mosaics_match.credentials.verifier import verify
    from mosaics_match.store.models import IssuedCredential

    with _rt.Session() as session:
        document = session.scalar(select(IssuedCredential.document).limit(1))
    if document:
        verify(document.encode("utf-8"), ctx=verification.build_context(_rt, remote=False))
    return True


def main() -> None:
    from pages import common

    viewer = common.guard(__file__)
    rt = common.runtime()
    base_url = rt.settings.base_url

    st.title("Verify a credential")
    st.write("Check that a Seneca Mosaics micro-credential (or any Open Badge 3.0 / verifiable credential) is "
             "authentic, was issued by a trusted issuer and is still valid. No sign-in needed.")
    email = st.text_input("Candidate's e-mail address (optional)", key="verify_email", max_chars=320,
                          placeholder="name@example.com",
                          help="If given, the portal checks that the credential was issued to this address. The "
                               "address is not stored.").strip() or None

    # Deep link: /verify?credential=urn:uuid:...
    linked = st.query_params.get("credential")
    shared = st.query_params.get("share")
    if linked and st.session_state.get("verify_link_done") != (linked, shared):
        st.session_state["verify_link_done"] = (linked, shared)
        _verify_issued(rt, viewer, linked, source="link", email=email, share=shared, base_url=base_url)

    upload_tab, paste_tab, qr_tab = st.tabs([":material/upload_file: Upload a file", ":material/content_paste: Paste",
                                            ":material/qr_code_scanner: QR code"])
    with upload_tab:
        # The widget's own limit line is hidden (see MAX_FILE_MB): the label states the one limit.
        st.html("<style>.st-key-verify_upload [data-testid='stFileUploaderDropzoneInstructions'], "
                ".st-key-verify_qr [data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>")
        uploaded = st.file_uploader(f"Badge image or credential file (.png, .svg, .json, .jwt), up to {MAX_FILE_MB} MB",
                                    type=UPLOAD_TYPES, key="verify_upload")
        if uploaded is not None and st.session_state.get("verify_upload_id") != uploaded.file_id:
            st.session_state["verify_upload_id"] = uploaded.file_id
            data = uploaded.getvalue()
            problem = upload_problem(uploaded.name, data)
            if problem:
                _fail(problem)
            else:
                _run(rt, viewer, data, source="upload", file_name=uploaded.name, email=email)
    with paste_tab:
        text = st.text_area("Credential JSON or signed token (JWT)", key="verify_paste", height=140,
                            max_chars=MAX_PASTE_CHARS, placeholder='{"@context": [...], ...}  or  eyJhbGciOi...')
        if st.button("Verify pasted text", key="verify_paste_go", type="primary"):
            if not text.strip():
                _fail("Paste a credential first: its JSON text, or a signed token starting with “eyJ”.")
            elif len(text) > MAX_PASTE_CHARS:
                _fail(f"The pasted text is longer than {MAX_PASTE_CHARS:,} characters.")
            else:
                from mosaics_match.exports.qr import parse_verify_link

                pasted = parse_verify_link(text)
                if pasted.credential_id:  # someone pasted the verification link itself
                    _verify_issued(rt, viewer, pasted.credential_id, source="link", email=email,
                                   host=pasted.host, base_url=base_url, share=pasted.share)
                else:
                    _run(rt, viewer, text.strip().encode("utf-8"), source="paste", file_name=None, email=email)
    with qr_tab:
        st.caption("Upload a photo or scan of the QR code printed on a Seneca Mosaics certificate.")
        photo = st.file_uploader(f"Photo or scan of the QR code, up to {MAX_PHOTO_MB} MB", type=PHOTO_TYPES,
                                 key="verify_qr")
        if st.toggle("Use this device's camera", key="verify_camera_on"):
            shot = st.camera_input("Point the camera at the QR code", key="verify_camera")
            photo = shot or photo
        if photo is not None and st.session_state.get("verify_qr_id") != photo.file_id:
            st.session_state["verify_qr_id"] = photo.file_id
            _from_qr(rt, viewer, photo.getvalue(), base_url=base_url, email=email)

    error = st.session_state.get("verify_error")
    current = st.session_state.get(STATE)
    if current is None and not error:
        _warm_engine(rt)
    if error:
        st.error(md(error), icon=":material/error:")
    elif current is not None:
        def reverify() -> None:
            _run(rt, viewer, current["data"], source=current["source"], file_name=current["file_name"],
                 email=(st.session_state.get("verify_email") or "").strip() or None, link=current.get("link"))

        if current["file_name"]:
            st.caption(f"File: {md(current['file_name'])}")
        render_verification(current["pv"], key="verify", base_url=base_url, on_reverify=reverify,
                            link=current.get("link"))


def _from_qr(rt, viewer: Viewer, data: bytes, *, base_url: str, email: str | None) -> None:  # noqa: ANN001
    from mosaics_match.exports import qr

    try:
        link = qr.read_verify_link(data)
    except qr.QrError as exc:
        _fail(str(exc))
        return
    except Exception:  # a decoder failure on a strange image must not become a traceback
        logging.getLogger(__name__).exception("QR decoding failed")
        _fail("The QR code in this image could not be read. Try a sharper photo, straight on.")
        return
    if link.credential_id:
        _verify_issued(rt, viewer, link.credential_id, source="qr", email=email, host=link.host, base_url=base_url,
                       share=link.share)
        return
    from mosaics_match.credentials.inputs import is_compact_jws

    if is_compact_jws(link.text) or link.text.startswith("{"):
        _run(rt, viewer, link.text.encode("utf-8"), source="qr", file_name=None, email=email)
        return
    shown = link.text[:80]
    _fail(f"The QR code does not hold a credential verification link (it says “{shown}”).")


if __name__ == "__main__":
    main()
