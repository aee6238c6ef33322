"""Sign in: single sign-on (OpenID Connect, when configured) or email and password; demo accounts in demo mode."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from mosaics_match import auth
from pages import common

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
    st.subheader("With your organisation")
    if st.button("Sign in with single sign-on", type="primary", key="oidc_sign_in"):
        try:
            st.login()
        except Exception:  # a broken [auth] section must not show a traceback
            st.error("Single sign-on is not set up correctly on this portal. Use your Mosaics password, or ask "
                     "Seneca staff to check the [auth] settings.")
    st.divider()
    st.subheader("With a Mosaics password")

with st.form("sign_in_form", clear_on_submit=False):
    email = st.text_input("Email", max_chars=auth.MAX_EMAIL_LENGTH, autocomplete="username", key="sign_in_email")
    password = st.text_input("Password", type="password", max_chars=auth.MAX_PASSWORD_LENGTH,
                             autocomplete="current-password", key="sign_in_password")
    submitted = st.form_submit_button("Sign in", type="primary" if not common.oidc_configured() else "secondary")

if submitted:
    if not email.strip() or not password:
        st.error("Enter both your email and your password.")
    else:
        with rt.Session.begin() as session:
            result = auth.sign_in(session, email=email, password=password, secret=rt.settings.session_secret)
        if result.delay_seconds:
            time.sleep(result.delay_seconds)  # slows password guessing; same for known and unknown emails
        if result.ok and result.token:
            st.session_state["session_token"] = result.token
            st.session_state["_signed_in_message"] = result.message
            st.switch_page("pages/home.py")
        else:
            st.error(result.message)

if rt.settings.demo_mode:
    from mosaics_match import demo

    with rt.Session() as session:
        accounts = demo.demo_passwords(session)
    if accounts:
        with st.expander("Demo accounts (demo mode only)", expanded=True):
            st.caption("This portal runs in demo mode with synthetic data. Use one of these accounts to try each "
                       "role. They are not shown when demo mode is off.")
            order = ("employer", "partner", "earner", "staff")
            rows = [{"Role": role, "Email": accounts[role][0], "Password": accounts[role][1]}
                    for role in order if role in accounts]
            st.table(pd.DataFrame(rows), hide_index=True)
