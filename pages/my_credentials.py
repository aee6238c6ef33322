"""My credentials (earners): claim a credential, see and share what I hold, decide who may find me.

Everything here is scoped to the earner id of the server-side viewer (a signed session token checked on every
run); nothing typed or stored in the browser can widen it to another earner's credentials.
"""

from __future__ import annotations

import streamlit as st

from mosaics_match.exports import certificate
from mosaics_match.services import claims, earner_profile, sharing
from mosaics_match.services import external_credentials as ext
from pages import common
from pages.verification_view import md

viewer = common.guard(__file__)
rt = common.runtime()

st.title("My credentials")

if viewer.earner_id is None:
    st.error("Your account is not linked to an earner record yet, so there are no credentials to show. "
             "Ask Seneca staff to link it.")
    st.stop()
earner_id: int = viewer.earner_id

# --- claim ----------------------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Claim a credential")
    st.write("When Seneca issues you a micro-credential you receive a one-time claim code. Enter it here to add "
             "the credential to your list.")
    with st.form("claim_form", clear_on_submit=True):
        code = st.text_input("Claim code", placeholder="ABCD-EFGH-JKMN", max_chars=claims.MAX_CODE_LENGTH,
                             key="claim_code")
        claim_clicked = st.form_submit_button("Claim", type="primary")
    if claim_clicked:
        if not (code or "").strip():
            st.error("Enter the claim code from your email.")
        else:
            result = earner_profile.claim(rt, earner_id=earner_id, actor=viewer.email, code=code)
            if result.ok:
                st.success(result.message)
            elif result.outcome == "already":
                st.info(result.message)
            else:
                st.error(result.message)
    waiting = earner_profile.waiting_for_claim(rt, earner_id=earner_id)
    if waiting:
        st.caption(f"{waiting} credential{'s' if waiting != 1 else ''} issued to you "
                   f"{'are' if waiting != 1 else 'is'} waiting for a claim code.")

# --- consent --------------------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Who can find me")
    current = earner_profile.consent_of(rt, earner_id=earner_id)
    discoverable = st.toggle(
        "Industry partners may find me when they search for skills", value=current[0], key="consent_discoverable",
        help="Partners see your name, location and your valid Mosaics credentials. Turn this off at any time; "
             "you disappear from every search at once.")
    share_email = st.toggle(
        "Show my email address to those partners", value=current[1], key="consent_share_email",
        disabled=not discoverable, help="Otherwise partners contact you through Seneca.")
    if (discoverable, share_email) != current:
        earner_profile.change_consent(rt, earner_id=earner_id, discoverable=discoverable, share_email=share_email,
                                      actor=viewer.email, actor_role=viewer.role)
        st.success("Saved. " + ("Partners can now find you." if discoverable else
                                "Partners can no longer find you in searches."))

# --- the list -------------------------------------------------------------------------------------------------
SHARE_FLASH = "my_credentials_flash"


def _change_sharing(credential_id: str, action: str) -> None:
    """Button callback: create, replace or withdraw a verification link, or publish / unpublish, for one of the
    viewer's own credentials (looked up with the viewer's earner id, never the browser's word alone)."""
    public = bool(st.session_state.get(f"publish_{credential_id}", False))
    st.session_state[SHARE_FLASH] = earner_profile.change_sharing(
        rt, earner_id=earner_id, credential_id=credential_id, action=action, public=public, actor=viewer.email,
        actor_role=viewer.role)


items = earner_profile.issued_credentials(rt, earner_id=earner_id, base_url=rt.settings.base_url)

st.subheader(f"My credentials ({len(items)})")
flash = st.session_state.pop(SHARE_FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
if not items:
    st.info("You have no claimed credentials yet. Claim one above with the code Seneca sent you.")
else:
    st.caption("Your credentials are private until you share them. To show one to an employer, create its "
               "verification link and send that (or the badge image). Nobody else can see a credential from a "
               "link you have not created, and you can withdraw a link at any time.")

BADGE_COLOURS = {"valid": "green", "revoked": "red", "suspended": "orange", "expired": "gray", "pending": "blue"}
for n, item in enumerate(items):
    cid = item["id"]
    with st.container(border=True, key=f"credential_{n}"):
        head, badge = st.columns([5, 1])
        head.markdown(f"**{item['name']}**  \n{item['school']}"
                      + (f" · with {item['partner']}" if item["partner"] else ""))
        with badge:
            st.badge(sharing.STATUS_LABELS[item["status"]], color=BADGE_COLOURS[item["status"]])
        until = item["valid_until"].strftime("%d %b %Y") if item["valid_until"] else "no expiry"
        st.caption(f"Issued {item['issued']:%d %b %Y} · valid until {until} · {sharing.proof_words(item['format'])}")
        if item["competencies"]:
            st.caption("Competencies: " + ", ".join(item["competencies"]))
        if item["status"] in ("revoked", "suspended"):
            when = f" on {item['changed']:%d %B %Y}" if item["changed"] else ""
            why = f" Reason given: {item['public_reason']}" if item["public_reason"] else ""
            st.warning("Seneca has " + ("revoked" if item["status"] == "revoked" else "suspended") + f" this "
                       f"credential{when}, so a verifier will see that it is not currently valid.{why}")
        if item["problem"]:
            st.error("This credential's stored file could not be prepared for download. Ask Seneca staff.")
        if item["files"]:
            signed = "the .jwt file" if item["jwt"] else "the credential file (.json)"
            st.markdown(f":material/help: **Which file to send?** To an employer: your verification link below, or "
                        f"the badge image (PNG) — the credential is inside it. To a badge wallet or LinkedIn: the "
                        f"badge image. If someone asks for the credential file itself: {signed}.")
        row_of_buttons = st.container(horizontal=True)
        for f in item["files"]:
            row_of_buttons.download_button(f.label, data=f.data, file_name=f.file_name, mime=f.mime, help=f.hint,
                                           on_click="ignore", key=f"dl_{n}_{f.file_name.rsplit('.', 1)[-1]}")
        with st.expander("Share with an employer: verification link and QR code", expanded=bool(item["link"])):
            if item["link"]:
                left, right = st.columns([3, 1])
                with left:
                    st.write("Whoever has this link sees whether the credential is valid, on the Mosaics verify "
                             "page. It does not give them the file.")
                    st.code(item["link"], language=None, wrap_lines=True)
                    st.caption("Use the copy button on the right of the link. Put the QR code on your résumé, or "
                               "print the certificate, whose QR code opens this link.")
                    cert = item["certificate"]
                    st.download_button("Certificate with this QR code (PDF)", key=f"certificate_{n}",
                                       data=lambda cert=cert: certificate.certificate_pdf(cert),
                                       file_name=f"{item['files'][0].file_name.rsplit('.', 1)[0]}-certificate.pdf"
                                       if item["files"] else "certificate.pdf",
                                       mime="application/pdf", on_click="ignore", icon=":material/picture_as_pdf:")
                    actions = st.container(horizontal=True)
                    actions.button("Withdraw this link", key=f"withdraw_{n}", on_click=_change_sharing,
                                   args=(cid, "withdraw"), icon=":material/link_off:",
                                   help="The link and its QR code stop working at once.")
                    actions.button("Make a new link", key=f"replace_{n}", on_click=_change_sharing,
                                   args=(cid, "replace"), icon=":material/autorenew:",
                                   help="The old link stops working; send the new one to whoever should have it.")
                with right:
                    st.image(sharing.qr_png(item["link"]), caption="Scan to verify", width=160,
                             alt="QR code of the verification link")
            else:
                st.write("No link yet: nobody can check this credential from a link. Create one to send to an "
                         "employer; you can withdraw it at any time.")
                st.button("Create a verification link", key=f"create_{n}", type="primary", on_click=_change_sharing,
                          args=(cid, "create"), icon=":material/add_link:")
            st.toggle("Publish the credential file for anyone", value=item["public"], key=f"publish_{cid}",
                      on_change=_change_sharing, args=(cid, "publish"),
                      help="Off unless you turn it on. When on, anyone can download the signed file from this "
                           "portal. It shows your name, the credential and its dates, and a scrambled (salted hash) "
                           "form of your e-mail address: someone who guesses your address can confirm it.")


# --- credentials from other issuers ---------------------------------------------------------------------------
EXT_FLASH = "external_flash"
EXT_OUTCOME = "external_outcome"
LINE_ICONS = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]",
              None: ":orange[:material/help:]"}
STATE_COLOURS = {"valid": "green", "revoked": "red", "suspended": "orange", "expired": "gray", "unconfirmed": "orange"}
ext.start_schedule(rt)


def _set_visibility(external_id: int) -> None:
    """Toggle callback: let partners see one added credential, or not (the viewer's own only)."""
    visible = bool(st.session_state.get(f"ext_visible_{external_id}", False))
    if not ext.set_partner_visibility(rt, earner_id=earner_id, external_id=external_id, visible=visible,
                                      viewer=viewer):
        st.session_state[EXT_FLASH] = ("error", "That credential is not in your list.")
    else:
        st.session_state[EXT_FLASH] = ("success", "Partners can now see this credential." if visible else
                                       "Partners no longer see this credential.")


def _remove(external_id: int) -> None:
    """Button callback: delete one added credential (the viewer's own only)."""
    done = ext.remove_credential(rt, earner_id=earner_id, external_id=external_id, viewer=viewer)
    st.session_state[EXT_FLASH] = ("success", "Removed from your list.") if done else \
        ("error", "That credential is not in your list.")


st.subheader("Credentials from other issuers", anchor=False)
with st.container(border=True, key="external_add"):
    st.markdown(":material/add_task: **Add a credential from another issuer**")
    st.write("A college, an employer or a certification body may have issued you an Open Badge or a verifiable "
             "credential. Add it here: the portal checks it the same way as on the verify page, and keeps it only "
             "when it is genuine, current, not revoked and issued to one of your e-mail addresses.")
    how = st.radio("How do you have it?", ["Upload a file or badge image", "Paste the credential",
                                           "Verification link"], horizontal=True, key="ext_how")
    with st.form("ext_form", clear_on_submit=True):
        upload = text = link = None
        if how == "Upload a file or badge image":
            upload = st.file_uploader("Credential file (.json, .jwt) or badge image (.png, .svg)",
                                      type=["json", "jwt", "jws", "txt", "png", "svg"], key="ext_file",
                                      max_upload_size=max(1, -(-ext.MAX_INPUT_BYTES // 1_048_576)))
        elif how == "Paste the credential":
            text = st.text_area("Credential JSON or signed token", height=160, key="ext_text",
                                max_chars=ext.MAX_INPUT_BYTES,
                                placeholder="{\"@context\": …} or eyJ…")
        else:
            link = st.text_input("Verification link", key="ext_link", max_chars=2000,
                                 placeholder="https://…", help="A link that returns the credential itself "
                                                               "(JSON or a signed token), served over https.")
        visible = st.checkbox("Partners may see this credential", value=False, key="ext_visible_new",
                              help="Off unless you turn it on. When on, and when Seneca counts its issuer, it "
                                   "counts in partner searches as evidence of your skills.")
        submitted = st.form_submit_button("Check and add", type="primary", icon=":material/add_task:")
    if submitted:
        if upload is not None:
            outcome = ext.add_credential(rt, earner_id=earner_id, viewer=viewer, data=upload.getvalue(),
                                         source="upload", file_name=upload.name[:200], partners_may_see=visible)
        elif text and text.strip():
            outcome = ext.add_credential(rt, earner_id=earner_id, viewer=viewer, data=text.strip(),
                                         source="paste", partners_may_see=visible)
        elif link and link.strip():
            outcome = ext.add_credential(rt, earner_id=earner_id, viewer=viewer, data=link.strip(),
                                         source="link", partners_may_see=visible)
        else:
            outcome = None
            st.error("Choose a file, paste the credential, or give its link.")
        if outcome is not None:
            st.session_state[EXT_OUTCOME] = outcome
    outcome = st.session_state.get(EXT_OUTCOME)
    if outcome is not None:
        if outcome.kept:
            (st.success if outcome.reason == "kept" else st.warning)(outcome.message)
        else:
            st.error(outcome.message)
        pv = outcome.verification
        if pv is not None and not pv.input_problem:
            st.markdown("\n".join(f"{LINE_ICONS[line.ok]} {md(line.text)}  " for line in pv.lines))

flash = st.session_state.pop(EXT_FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
external = ext.list_credentials(rt, earner_id=earner_id)
if not external:
    st.caption("You have not added credentials from other issuers.")
for n, item in enumerate(external):
    with st.container(border=True, key=f"external_{n}"):
        head, badge = st.columns([5, 1])
        head.markdown(f"**{md(item.name)}**  \nIssued by {md(item.issuer_name)}")
        with badge:
            st.badge(item.state_label, color=STATE_COLOURS.get(item.state, "gray"))
        until = f"{item.valid_until:%d %b %Y}" if item.valid_until else "no expiry"
        st.caption(f"Valid until {until} · last checked {item.checked_at:%d %b %Y %H:%M} UTC")
        if item.state_detail:
            st.caption(md(item.state_detail))
        if item.competencies:
            st.caption("Skills partners can find: " + ", ".join(md(c) for c in item.competencies[:12]))
        if item.counts:
            st.caption(":green[:material/search:] Counts in partner searches.")
        else:
            st.caption(f"Does not count in partner searches: {md(item.why_not_counted or '')}")
        row = st.container(horizontal=True)
        row.toggle("Partners may see this", value=item.partners_may_see, key=f"ext_visible_{item.id}",
                   on_change=_set_visibility, args=(item.id,))
        with row.popover("Remove…", icon=":material/delete:"):
            st.write("Remove this credential from your list? You can add it again later.")
            st.button("Yes, remove", key=f"ext_remove_{item.id}", type="primary", on_click=_remove, args=(item.id,))
