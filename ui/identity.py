"""Who the student is, without accounts: a random token their browser keeps in a cookie.

The first visit draws a token (256 random bits) and the page sets it as a cookie for a year; a
reload, a new tab of the same browser or a restarted server sends it back
(``st.context.cookies``), and the class store (``models.store``) knows the student by its SHA-256.
A lesson's link carries its settings, never the token: a link copied from one student's browser
opens the lesson in another's with that browser's own student. "Forget me" deletes everything
stored about the student and draws a new token.
"""

from __future__ import annotations

import time

import streamlit as st

from models.store import database
from models.store.database import Student
from models.store.names import NAME_LENGTH, NameRefused
from ui.i18n import say, t

COOKIE = "cnnlab_student"
KEY = "_identity.student"  # this session's Student
TOKEN = "_identity.token"
SEEN = "_identity.seen"  # when last_seen was written, to write it at most once a minute
YEAR_S = 365 * 24 * 3600


def store() -> database.Store:
    return database.store()


def _set_cookie(token: str, max_age: int = YEAR_S) -> None:
    """Set the cookie in the student's browser (the token is URL-safe base64: nothing to escape)."""
    st.sidebar.html(f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Lax';</script>",
            unsafe_allow_javascript=True, width="content")


def current() -> Student:
    """This session's student, known from the cookie, or new."""
    if KEY not in st.session_state:
        token = st.context.cookies.get(COOKIE, "")
        if not isinstance(token, str) or not database.TOKEN.match(token):  # none yet, or not ours: a new student
            token = database.new_token()
        st.session_state[TOKEN] = token
        st.session_state[KEY] = store().arrive(token)
        st.session_state[SEEN] = time.monotonic()
    elif time.monotonic() - st.session_state.get(SEEN, 0) > 60:  # here, still (and as the store has them now)
        st.session_state[KEY] = store().visit(st.session_state[KEY].id)
        st.session_state[SEEN] = time.monotonic()
    return st.session_state[KEY]


def keep_cookie() -> None:
    """Write the cookie on every run of the session (invisible, cheap): the browser keeps it."""
    _set_cookie(st.session_state[TOKEN])


def rename(name: str) -> None:
    """The student's new name (``models.store.names`` cleans it); ``NameRefused`` if it cannot be theirs."""
    st.session_state[KEY] = store().rename(current().id, name)


def forget() -> None:
    """Delete everything stored about this student; the browser gets a new student next."""
    store().forget(current().id)
    for key in list(st.session_state):
        if not key.startswith("_identity.") and not key.startswith("_state.") and key != "lang":
            del st.session_state[key]
    token = database.new_token()
    st.session_state[TOKEN] = token
    st.session_state[KEY] = store().arrive(token)


def panel() -> None:
    """The sidebar's student: their name in this class, to change, and "forget me"."""
    student = current()
    with st.sidebar:
        st.caption(f"**{t('student.you')}**")
        st.text(student.name)  # st.text: a name with Markdown or HTML in it stays literal
        with st.expander(t("student.settings")):
            with st.form("_identity.name_form", border=False):
                name = st.text_input(t("student.name"), value=student.display_name or "", max_chars=NAME_LENGTH,
                                     placeholder=f"Student {student.number}")
                if st.form_submit_button(t("student.save_name")):
                    try:
                        rename(name)
                        st.rerun()
                    except NameRefused as err:
                        st.error(say(err))
            st.caption(t("student.forget_help"))
            sure = st.checkbox(t("student.forget_confirm"), key="_identity.forget_sure")
            st.button(t("student.forget"), disabled=not sure, on_click=forget, key="_identity.forget")
        if not store().saving:
            st.warning(t("student.not_saving"), icon="💾")
