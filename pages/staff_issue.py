"""Staff: issue micro-credentials, one at a time or from a CSV file, with receipts, downloads and certificates."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import streamlit as st

from mosaics_match.exports import certificate
from mosaics_match.services import bulk_issue, issue_desk, issuing
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

st.title("Issue credentials")
st.caption(
    "Sign Mosaics micro-credentials for earners. Each credential gets a verification link, a printable "
    "certificate with a QR code, and a one-time claim code the earner uses to add it to their account."
)

RECEIPTS_KEY = "staff_issue_receipts"
BULK_DONE_KEY = "staff_issue_bulk_done"
# The Digital Credentials Consortium verifier (@digitalcredentials/verifier-core, behind Learner Credential Wallet)
# checks only eddsa-rdfc-2022 / Ed25519Signature2020 proofs, so staff must know what the other choices give up.
FORMAT_NOTE = (
    "Which verifiers accept each format: **eddsa-rdfc-2022**: this portal, the Digital Credentials Consortium "
    "verifier used by Learner Credential Wallet, and most Open Badges 3.0 wallets; the safe choice. "
    "**eddsa-jcs-2022**: this portal; not the Digital Credentials Consortium verifier or Learner Credential "
    "Wallet. **vc-jwt**: this portal and verifiers that read Open Badges 3.0 VC-JWTs (for example "
    "openbadgeslib); not the Digital Credentials Consortium verifier or Learner Credential Wallet."
)

signing_problem: str | None = None
if not rt.settings.key_secret:
    signing_problem = (
        "Signing is switched off: no key secret is configured (MOSAICS_KEY_SECRET). The portal keeps its signing "
        "keys encrypted with that secret and will not sign without it. Ask the administrator to set it."
    )
    st.error(signing_problem)

form = issue_desk.issue_form(rt)
by_slug = {a.slug: a for a in form.achievements}
if not form.achievements:
    st.info("The catalogue is empty, so there is nothing to issue yet.")
    st.stop()


def _remember(issued: issue_desk.IssuedOne) -> None:
    # The claim code is only ever shown in this browser session: the database keeps a hash of it.
    receipts = st.session_state.setdefault(RECEIPTS_KEY, [])
    receipts.insert(0, {"credential_id": issued.credential_id, "claim_code": issued.claim_code})
    del receipts[20:]


def render_receipt(credential_id: str, claim_code: str | None, *, key: str) -> None:
    """Receipt of one issued credential: claim code, verification link, downloads and certificate."""
    papers = issue_desk.receipt(rt, credential_id=credential_id)
    if papers is None:
        st.warning("This credential is no longer in the database.")
        return
    files, cert_data, link = papers.files, papers.certificate, papers.link
    st.markdown(f"**{papers.achievement_name}** for **{papers.earner_name}** ({papers.earner_email})")
    st.caption(f"Credential ID `{credential_id}` · {papers.proof_format} · "
               f"issued {papers.issued_at:%Y-%m-%d %H:%M} UTC")
    if claim_code:
        st.markdown("One-time claim code (give it to the earner; it is not shown again after you leave):")
        st.code(claim_code, language=None)
    st.markdown(f"Verification link: [{link}]({link})")
    row = st.container(horizontal=True)
    cols = [row] * (len(files) + 1)
    for col, f in zip(cols, files):
        col.download_button(f.label, data=f.data, file_name=f.filename, mime=f.mime, key=f"{key}_{f.filename}")
    stem = files[0].filename.rsplit(".", 1)[0]
    # The PDF is rendered only when clicked (deferred download), not on every rerun of the page.
    cols[-1].download_button("Printable certificate (PDF)", data=lambda: certificate.certificate_pdf(cert_data),
                             file_name=f"{stem}-certificate.pdf", mime="application/pdf", key=f"{key}_pdf")


one_tab, bulk_tab = st.tabs(["One credential", "From a CSV file"])

with one_tab:
    with st.form("issue_one", clear_on_submit=False):
        c1, c2 = st.columns(2)
        email = c1.text_input("Earner's email", max_chars=320, placeholder="name@example.org")
        name = c2.text_input("Earner's name", max_chars=200, placeholder="As it should appear on the credential")
        slug = st.selectbox(
            "Micro-credential", options=list(by_slug), format_func=lambda s: f"{by_slug[s].name} — {by_slug[s].school}",
        )
        fmt = st.radio(
            "Proof format", options=list(issuing.PROOF_FORMATS), horizontal=True,
            help="eddsa-rdfc-2022 suits most wallets; eddsa-jcs-2022 is a lighter JSON signature; vc-jwt gives a "
                 "compact token.",
        )
        st.caption(FORMAT_NOTE)
        d1, d2 = st.columns(2)
        start = d1.date_input("Valid from", value=date.today())
        end = d2.date_input("Valid until (leave empty for no end date)", value=None)
        submitted = st.form_submit_button("Issue credential", type="primary", disabled=signing_problem is not None)
    if submitted:
        try:
            issued = issue_desk.issue_one(rt, email=email, name=name, slug=slug or "", fmt=fmt or "",
                                          valid_from=start, valid_until=end, viewer=viewer)
        except issue_desk.IssueRefused as exc:
            st.error(f"Not issued: {exc}")
        else:
            _remember(issued)
            st.success(f"Issued {issued.achievement_name} to {issued.earner_name}.")

    receipts = st.session_state.get(RECEIPTS_KEY, [])
    if receipts:
        st.subheader("Issued in this session")
        for i, r in enumerate(receipts):
            with st.container(border=True):
                render_receipt(r["credential_id"], r["claim_code"], key=f"receipt_{i}")
        if st.button("Hide claim codes"):
            st.session_state.pop(RECEIPTS_KEY, None)
            st.rerun()

with bulk_tab:
    st.markdown(
        f"Upload a CSV file with the columns **email, name, achievement** and optionally **format, valid_from, "
        f"valid_until** (dates like 2026-09-01). `achievement` is the micro-credential's name or code. At most "
        f"{bulk_issue.MAX_ROWS} rows and {bulk_issue.MAX_CSV_BYTES // 1024} KB per file. Every row is checked "
        f"first; nothing is issued until the whole file is correct."
    )
    st.download_button("Download an example file", data=form.example_csv,
                       file_name="mosaics-bulk-issue-example.csv", mime="text/csv")
    default_fmt = st.selectbox("Proof format for rows without one", options=list(issuing.PROOF_FORMATS),
                               key="bulk_default_format")
    st.caption(FORMAT_NOTE)
    upload = st.file_uploader("CSV file of earners and micro-credentials", type=["csv"], key="bulk_csv",
                              max_upload_size=1)
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()  # a file issued once is never issued again in this session
        done = st.session_state.setdefault(BULK_DONE_KEY, {})
        plan: bulk_issue.BulkPlan | None = None
        try:
            plan = issue_desk.plan_bulk(rt, data=data, default_format=default_fmt or "eddsa-rdfc-2022")
        except bulk_issue.BulkError as exc:
            st.error(str(exc))
        if plan is not None:
            for problem in plan.problems:
                st.error(problem)
            bad = [r for r in plan.rows if not r.ok]
            if bad:
                st.error(f"{len(bad)} of {len(plan.rows)} rows have problems (see the Check column). Fix the file "
                         f"and upload it again; nothing has been issued.")
            elif plan.ok and digest not in done:
                st.success(f"All {len(plan.rows)} rows are valid. Check the preview, then issue.")
            st.dataframe(pd.DataFrame(plan.preview()), hide_index=True, width="stretch")
            if digest in done:
                st.info("This file was already issued in this session; the results are below.")
            elif plan.ok and st.button(f"Issue {len(plan.rows)} credentials", type="primary",
                                       disabled=signing_problem is not None):
                bar = st.progress(0.0, text="Issuing…")

                def progress(i: int, total: int, result: bulk_issue.RowResult) -> None:
                    bar.progress(i / total, text=f"{i} of {total}: {result.email} — {result.message}")

                try:
                    results = issue_desk.issue_bulk(rt, plan=plan, viewer=viewer, progress=progress)
                except (issuing.IssuingError, bulk_issue.BulkError) as exc:
                    st.error(f"Nothing was issued: {exc}")
                else:
                    done[digest] = [r.__dict__ for r in results]
            results_raw = done.get(digest)
            if results_raw:
                results = [bulk_issue.RowResult(**r) for r in results_raw]
                ok = sum(r.ok for r in results)
                (st.success if ok == len(results) else st.warning)(
                    f"{ok} of {len(results)} credentials issued"
                    + ("." if ok == len(results) else "; the failed rows wrote nothing and can be uploaded again.")
                )
                st.dataframe(pd.DataFrame([
                    {"Line": r.line, "Email": r.email, "Micro-credential": r.achievement,
                     "Result": "issued" if r.ok else "failed", "Claim code": r.claim_code or "",
                     "Credential ID": r.credential_id or "", "Message": r.message} for r in results
                ]), hide_index=True, width="stretch")
                st.download_button("Download the results with claim codes (CSV)", data=bulk_issue.results_csv(results),
                                   file_name="mosaics-issued.csv", mime="text/csv", key="bulk_results_csv")
                issued = [r for r in results if r.ok and r.credential_id]
                if issued:
                    pick = st.selectbox("Files and certificate for", options=range(len(issued)),
                                        format_func=lambda i: f"line {issued[i].line}: {issued[i].email} — "
                                                              f"{issued[i].achievement}",
                                        key="bulk_pick")
                    chosen = issued[pick or 0]
                    with st.container(border=True):
                        render_receipt(chosen.credential_id or "", chosen.claim_code, key="bulk_receipt")
