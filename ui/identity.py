"""Who the student is, without accounts: a random token their browser keeps in a cookie.

The first visit draws a token (256 random bits) and the page sets it as a cookie for a year; a
reload, a new tab of the same browser or a restarted server sends it back
(``st.context.cookies``), and the class store (``models.store``) knows the student by its SHA-256.
A lesson's link carries its settings, never the token: a link copied from one student's browser
opens the lesson in another's with that browser's own student.

A student is stored when they first do something (answer, upload, start a run, choose a name),
not when they connect: a script opening connection after connection fills no table and no
dashboard. "Forget me" deletes everything stored about the student, keeps the token's hash as
forgotten and draws a new token. Every other tab still holding the old token finds out on its
next run (``begin``): it drops the old token and takes the browser's new one (or a new one), so
nothing can bring the forgotten student back.
"""

from __future__ import annotations

import time

import streamlit as st

from models.store import database
from models.store.database import Student
from models.store.names import NAME_LENGTH, NameRefused
from ui import saving
from ui.i18n import say, t

COOKIE = "cnnlab_student"
KEY = "_identity.student"  # this session's Student
TOKEN = "_identity.token"
SEEN = "_identity.seen"  # when last_seen was written, to write it at most once a minute
REPLACED = "_identity.replaced"  # the token this tab held when its student was forgotten in another
YEAR_S = 365 * 24 * 3600


def store() -> database.Store:
    return database.store()


def _set_cookie(token: str, max_age: int = YEAR_S, replacing: str | None = None) -> None:
    """Set the cookie in the student's browser (the token is URL-safe base64: nothing to escape).
    ``replacing``: only if the browser still holds that forgotten token, or none; if another tab
    has given it a new one already, reload this tab, which then takes that one."""
    write = f"document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Lax';"
    if replacing:
        write = (f"const held = document.cookie.split('; ').find(c => c.startsWith('{COOKIE}='));"
                 f"if (!held || held === '{COOKIE}={replacing}') {{ {write} }} "
                 f"else {{ window.top.location.reload(); }}")
    st.sidebar.html(f"<script>{write}</script>", unsafe_allow_javascript=True, width="content")


def _standing(sid: str) -> Student | None:
    """The student as stored (``Store.standing``); as new, for now, when the store cannot be read."""
    try:
        return store().standing(sid)
    except database.StoreFailed as err:
        saving.failed("who this student is", err)
        return Student(sid, 0, None)


def _start(token: str) -> None:
    st.session_state[TOKEN] = token
    sid = database.student_id(token)
    st.session_state[KEY] = _standing(sid) or Student(sid, 0, None)
    st.session_state[SEEN] = time.monotonic()


def _drop_session_data() -> None:
    """What the session holds of the student's work goes with them; their language stays."""
    for key in list(st.session_state):
        if not key.startswith(("_identity.", "_state.")) and key not in ("lang", "_lang"):
            del st.session_state[key]


def begin() -> Student:
    """At the start of every run of the page: this session's student, known from the cookie, or
    new; read again from the store (one short read), so that a student forgotten in another tab
    is forgotten here too, and a name or number given in another tab shows here."""
    if KEY not in st.session_state:
        token = st.context.cookies.get(COOKIE, "")
        if not isinstance(token, str) or not database.TOKEN.match(token):  # none yet, or not ours: a new student
            token = database.new_token()
        elif _standing(database.student_id(token)) is None:  # a forgotten student's token: never again
            token = database.new_token()
        _start(token)
        return st.session_state[KEY]
    now = _standing(st.session_state[KEY].id)
    if now is None:  # forgotten in another tab: this one lets go of the old token too
        st.session_state[REPLACED] = st.session_state[TOKEN]
        _drop_session_data()
        _start(database.new_token())
    else:
        st.session_state[KEY] = now
        if now.number and time.monotonic() - st.session_state.get(SEEN, 0) > 60:  # here, still
            st.session_state[SEEN] = time.monotonic()
            with saving.attempt("that a student is here"):
                store().seen(now.id)
    return st.session_state[KEY]


def current() -> Student:
    """This session's student (``begin`` has read them at the start of this run)."""
    if KEY not in st.session_state:
        return begin()
    return st.session_state[KEY]


def enrol() -> Student | None:
    """The student does something that is kept (starts a run): stored from now on, if not yet.
    None if they have just been forgotten (in another tab). When the store cannot save, the
    student goes on as they are (``ui.saving``)."""
    student = current()
    with saving.attempt("a new student"):
        student = store().visit(student.id)
    if student is not None:
        st.session_state[KEY] = student
    return student


def address() -> str | None:
    """The network address this page was opened from: the proxy's X-Forwarded-For behind HAProxy
    (uvicorn trusts it from 127.0.0.1, ``FORWARDED_ALLOW_IPS`` for another proxy); None for this
    machine itself (Streamlit's ``ip_address`` for loopback)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else None  # AppTest has no connection: this machine


def keep_cookie() -> None:
    """Write the cookie on every run of the session (invisible, cheap): the browser keeps it."""
    _set_cookie(st.session_state[TOKEN], replacing=st.session_state.pop(REPLACED, None))


def rename(name: str) -> None:
    """The student's new name (``models.store.names`` cleans it); ``NameRefused`` if it cannot be theirs."""
    st.session_state[KEY] = store().rename(current().id, name)


@saving.guard
def forget() -> None:
    """Delete everything stored about this student; the browser gets a new student next (stored
    when they first do something)."""
    store().forget(current().id)
    _drop_session_data()
    _start(database.new_token())


def panel() -> None:
    """The sidebar's student: their name in this class, to change, and "forget me"."""
    student = current()
    with st.sidebar:
        st.caption(f"**{t('student.you')}**")
        st.text(student.name)  # st.text: a name with Markdown or HTML in it stays literal
        with st.expander(t("student.settings")):
            with st.form("_identity.name_form", border=False):
                name = st.text_input(t("student.name"), value=student.display_name or "", max_chars=NAME_LENGTH,
                                     placeholder=f"Student {student.number}" if student.number else None)
                if st.form_submit_button(t("student.save_name")):
                    try:
                        with saving.attempt("a student's name"):
                            rename(name)
                            st.rerun()
                    except NameRefused as err:
                        st.error(say(err))
            st.caption(t("student.forget_help"))
            sure = st.checkbox(t("student.forget_confirm"), key="_identity.forget_sure")
            st.button(t("student.forget"), disabled=not sure, on_click=forget, key="_identity.forget")
        saving.place()  # "nothing is being saved", if so, once the page has run
