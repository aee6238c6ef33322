"""Staff: sign-in accounts locked by wrong passwords, and unlocking them (audited)."""

from __future__ import annotations

import streamlit as st

from mosaics_match.services import accounts, auth
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_accounts_flash"

st.title("Locked accounts")
st.caption(f"After {auth.MAX_FAILURES_BEFORE_LOCK} wrong passwords an account is locked for "
           f"{int(auth.LOCK_DURATION.total_seconds() // 60)} minutes. Unlock it here once you know the person "
           "(for example, they phoned you). Unlocking is written to the audit log.")

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)


def _unlock(account_id: int) -> None:
    email = accounts.unlock(rt, account_id=account_id, viewer=viewer)
    st.session_state[FLASH_KEY] = (f"Unlocked {email}: they can sign in again now." if email is not None
                                   else "That account no longer exists.")


locks = accounts.locks(rt)

if not locks:
    st.info("No account is locked, and none has recent wrong passwords.")
for lock in locks:
    with st.container(border=True, key=f"lock_{lock.account_id}"):
        left, right = st.columns([4, 1])
        state = (f":red[**Locked**] until {lock.locked_until:%H:%M} UTC" if lock.locked
                 else f":orange[{lock.failed_attempts} wrong password(s)]")
        left.markdown(f"**{lock.display_name}** · {lock.email} · {lock.role}  \n{state}")
        right.button("Unlock", key=f"unlock_{lock.account_id}", on_click=_unlock, args=(lock.account_id,),
                     type="primary" if lock.locked else "secondary", icon=":material/lock_open:")
