"""Verify one credential: upload, paste, deep link (?credential=<id>) or a photo of the certificate's QR code.

No sign-in needed. The result is one verdict banner, one line per check, a card of what the credential says,
a Re-verify button and the report downloads (drawn by :mod:`pages.verification_view`, which the batch page uses
for the detail view of a row, with the per-session rate limit every verification on either page takes from).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import streamlit as st

from mosaics_match import links
from mosaics_match.exports import qr
from mosaics_match.inputs import sniff
from mosaics_match.links import credential_url
from mosaics_match.services import verification
from mosaics_match.services.auth import Viewer
from pages.verification_view import md, rate_limited_message, render_verification, take_verifications

#: The one size limit of a credential file, in MB (the engine's own input bound). The uploader takes anything the
#: server accepts and the page answers an over-size file with a visible message, instead of the widget's own
#: per-file limit, whose refusal is only a red icon with a hover text.
MAX_FILE_MB = sniff.MAX_FILE_BYTES // 1_000_000
MAX_FILE_BYTES = sniff.MAX_FILE_BYTES
MAX_PASTE_CHARS = 400_000
UPLOAD_TYPES = ["json", "jwt", "png", "svg"]
PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp"]
MAX_PHOTO_MB = 12  # the QR reader's bound (mosaics_match.exports.qr.MAX_IMAGE_BYTES); it says so when a photo is larger
STATE = "verify_current"


# --- the page -------------------------------------------------------------------------------------------------

def _run(rt, viewer: Viewer, data: bytes, *, source: str, file_name: str | None, email: str | None,
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


def _verify_issued(rt, viewer: Viewer, credential_id: str, *, source: str, email: str | None,
                   host: str | None = None, base_url: str | None = None, share: str | None = None) -> None:
    access = verification.open_link(rt, credential_id=credential_id, share=share, viewer=viewer)
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
def _warm_engine(_rt) -> bool:
    """Once per process: the service verifies one stored credential (no audit) so the first verdict is quick."""
    return verification.warm_up(_rt)


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
            problem = sniff.upload_problem(uploaded.name, data, max_bytes=MAX_FILE_BYTES)
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
                pasted = links.parse_verify_link(text)
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


def _from_qr(rt, viewer: Viewer, data: bytes, *, base_url: str, email: str | None) -> None:
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
    if sniff.looks_like_credential(link.text):
        _run(rt, viewer, link.text.encode("utf-8"), source="qr", file_name=None, email=email)
        return
    shown = link.text[:80]
    _fail(f"The QR code does not hold a credential verification link (it says “{shown}”).")


if __name__ == "__main__":
    main()
