"""Sign in: single sign-on (OpenID Connect, when configured) or email and password; demo accounts in demo mode."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.services import accounts
from pages import access, common

viewer = common.guard(__file__)
rt = common.runtime()

st.title("Sign in")
st.write("Employers, industry partners, earners and Seneca staff sign in here. Checking a credential and browsing "
         "the catalogue need no account.")

if common.oidc_configured():
    resolution = common.oidc_resolution()
    if resolution is not None and not resolution.ok:
        if resolution.status == "no-account":
            shown = (resolution.email or "").replace("`", "")  # a claim from the provider: shown as code, not markup
            st.warning(f"You are signed in with single sign-on as `{shown}`, but that email has no "
                       "Mosaics account, so you see the public pages only. Ask Seneca staff for an account, or "
                       "sign out of single sign-on and use another one.")
        elif resolution.status in ("expired", "signed-out"):
            st.info("Your single sign-on session has ended. Sign in again to continue.")
        elif resolution.status == "unverified":
            st.warning("Your organisation has not verified that email address, so it cannot be used here.")
        else:
            st.warning("Your single sign-on identity has no email address, so it cannot be used here.")

# On success the browser stores the session first, then opens the page asked for or the role's start page.
access.sign_in_form()

demo_accounts = accounts.demo_accounts(rt)
if demo_accounts:
    with st.expander("Demo accounts (demo mode only)", expanded=True):
        st.caption("This portal runs in demo mode with synthetic data. Use one of these accounts to try each "
                   "role. They are not shown when demo mode is off.")
        rows = [{"Role": str(a.role), "Email": a.email, "Password": a.password} for a in demo_accounts]
        st.table(pd.DataFrame(rows), hide_index=True)
