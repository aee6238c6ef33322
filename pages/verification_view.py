"""What both verify pages show and share: one verification's verdict, checks, card and downloads, and the
per-browser-session rate limit every verification on either page takes from.

Used by ``pages/verify.py`` (one credential) and ``pages/batch_verify.py`` (the detail view of a row). This is a
helper module of the pages, not a page (it is not in ``common.PAGES``); a page imports it instead of importing
another page.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC

import streamlit as st

from mosaics_match.exports import reports
from mosaics_match.inputs.batch import BatchLimits
from mosaics_match.services import verification
from mosaics_match.services.verification import CANNOT_CONFIRM, NOT_VALID, VERIFIED, PortalVerification
from mosaics_match.web.ratelimit import Decision, TokenBucketLimiter, describe_wait

__all__ = ["SESSION_RATES", "md", "render_verification", "session_limiter", "session_key", "take_verifications",
           "rate_limited_message"]

# Verifications per browser session, as the HTTP API limits each client address: (tokens per second, burst).
# A batch takes one token per credential, so a full batch empties its bucket.
SESSION_RATES = {"verify": (1.0, 30), "batch": (1.0, BatchLimits().max_files)}

_ICONS = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]",
          None: ":orange[:material/error:]"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Escape credential-supplied text for Markdown (it comes from the uploader, so it must not format)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _safe_url(url: str | None) -> str | None:
    if not url or not re.match(r"^https?://[^\s<>\"'()\[\]]+$", url):
        return None
    return url


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
        st.caption(":material/gpp_bad: **Not authentic.** The signature does not match the content: this file was "
                   "altered after it was issued, or it was never issued by the named issuer.")
    elif pv.verdict == CANNOT_CONFIRM and pv.authenticity == "authentic" and not pv.result.issuer_trusted:
        st.caption(":material/travel_explore: **Authentic, but from an issuer you do not know.** The signature is "
                   "genuine and nothing was changed; the portal simply has no record that this issuer is "
                   "trustworthy. It is not a forgery.")


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
            extra = [f"{k.capitalize()}: {md(v)}" for k, v in card.details.items()
                     if k in ("partner", "hours", "level")]
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
    checked = pv.checked_at.astimezone(UTC)
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
    return session_limiter(kind).take(session_key(), cost=count)


def rate_limited_message(decision: Decision) -> str:
    """What a visitor reads when this session has verified too much in a short time."""
    return (f"You have checked many credentials in a short time. To keep the portal quick for everyone, please wait "
            f"{describe_wait(decision.retry_after)} and try again.")
