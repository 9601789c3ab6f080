"""Classroom views: a presentation view for the projector, and predict-before-reveal.

Presentation view (sidebar toggle, or ``?present=true`` in a link): larger type, no sidebar, and
one section of the lesson per screen with Previous / Next. ``ui.lesson.section`` asks
``shows_next()`` whether its section is the one on screen; pages put each section's widgets
under ``if section(...)``.

Predict before reveal (sidebar toggle, or ``?predict=true``): ``guess_first`` hides a result
until the student has committed to a guess, and then shows the guess beside it. While the
teacher leads the class, the guess is a class poll (``ui.poll``): the result waits for the
teacher's reveal.
"""

from __future__ import annotations

import streamlit as st

from ui import lead, literal, poll
from ui.i18n import t
from ui.state import kept

PRESENT, PREDICT = "present", "predict"
_COUNT = "_present.count"  # sections seen so far in this run
GUESSES = "predict.guesses"  # key → the committed guess

STYLE = """<style>
html { font-size: 22px; }
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
.block-container { max-width: 1500px; padding-top: 1.5rem; }
</style>"""


def toggles() -> None:
    """The sidebar's two switches; both are kept in the URL, so a teacher's link carries them."""
    st.sidebar.toggle(t("present.toggle"), help=t("present.help"), **kept(PRESENT, False))
    st.sidebar.toggle(t("predict.toggle"), help=t("predict.help"), **kept(PREDICT, False))


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT))


def begin(page_key: str) -> None:
    """Before a page runs: count its sections from zero."""
    st.session_state[_COUNT] = 0
    st.session_state["_present.page"] = page_key
    if presenting():
        st.html(STYLE)


def _step_key() -> str:
    return f"present.step.{st.session_state.get('_present.page', '')}"


def shows_next() -> bool:
    """Whether the next section of the page is on screen (always, outside presentation view)."""
    index = st.session_state.get(_COUNT, 0)
    st.session_state[_COUNT] = index + 1
    return not presenting() or index == st.session_state.get(_step_key(), 0)


def controls() -> None:
    """After a page in presentation view: where we are, Previous, Next, and the way out."""
    total = st.session_state.get(_COUNT, 0)
    if not presenting() or total == 0:
        return
    key = _step_key()
    step = min(st.session_state.get(key, 0), total - 1)
    st.divider()
    left, middle, right, leave = st.columns([1, 1, 1, 1])
    if left.button(t("present.previous"), disabled=step == 0, key="present.previous", width="stretch"):
        st.session_state[key] = step - 1
        st.rerun()
    middle.markdown(f"<p style='text-align:center'>{step + 1} / {total}</p>", unsafe_allow_html=True)
    if right.button(t("present.next"), disabled=step >= total - 1, key="present.next", type="primary", width="stretch"):
        st.session_state[key] = step + 1
        st.rerun()
    if leave.button(t("present.leave"), key="present.leave", width="stretch"):
        st.session_state[PRESENT] = False
        st.rerun()


def guess_first(key: str, prompt: str, options: list[str] | None = None, format_func=str) -> bool:
    """With predict-before-reveal on, ask for a guess (a choice, or free text) and return False
    until one is committed; then show it and return True. Always True when the option is off.
    ``format_func`` labels the options (``ui.i18n.labels``): the guess is kept as the option
    itself, so it reads right in either language. While the teacher leads, the guess is the
    student's answer to a class poll and True waits for the teacher's reveal (``_class_poll``)."""
    if not st.session_state.get(PREDICT):
        return True
    guesses = st.session_state.setdefault(GUESSES, {})
    if poll.leading():
        return _class_poll(key, prompt, options, format_func, guesses)
    if key in guesses:
        _say_guess(guesses[key], options, format_func)
        return True
    committed = _ask(key, prompt, options, format_func)
    if committed is not None:
        guesses[key] = committed
        st.rerun()
    return False


def _say_guess(guess_: str, options: list[str] | None, format_func) -> None:
    shown = format_func(guess_)  # a typed guess is shown as typed, never as Markdown
    st.info(t("predict.your_guess", guess=literal.markdown(shown) if options is None else shown), icon="🤔")


def _ask(key: str, prompt: str, options: list[str] | None, format_func) -> str | None:
    """The guess form: the guess committed on this run, or None."""
    with st.form(f"predict.form.{key}"):
        if options is not None:
            shown = st.radio(prompt, options, index=None, key=f"predict.{key}", format_func=format_func)
        else:
            shown = st.text_input(prompt, key=f"predict.{key}").strip() or None
        committed = st.form_submit_button(t("predict.commit"), type="primary")
    if committed and shown is None:
        st.warning(t("predict.need_guess"))
    st.caption(t("predict.hidden"))
    return shown if committed else None


def _class_poll(key: str, prompt: str, options: list[str] | None, format_func, guesses: dict) -> bool:
    """The guess as a class poll (``ui.poll``). The teacher's screen shows the count, the answers
    and the buttons in place of the form, and the result once revealed; a student commits one
    answer, then sees it and waits for the reveal, when their result shows."""
    def label(stored: str) -> str:  # a stored answer as the teacher's chart says it
        return format_func(_option(stored, options))

    if lead.is_teacher():
        current = poll.teacher_view(key, label)
        return bool(current and current.revealed)
    current = poll.read(key)
    if current is None:  # the teacher's page has not asked it yet
        st.caption(f"⏳ {t('poll.not_yet')}")
        poll.wait(key, None)
        return False
    answer = poll.mine(current)
    if answer is None and not current.revealed:
        committed = _ask(key, prompt, options, format_func)
        if committed is not None and poll.submit(current, committed, options):
            st.rerun()
        poll.wait(key, current)
        return False
    if answer is not None:
        guesses[key] = _option(answer, options)  # ``guess(key)`` reads it, as a private guess
        _say_guess(guesses[key], options, format_func)
    if not current.revealed:
        st.caption(f"⏳ {t('poll.waiting')}")
        poll.wait(key, current)
        return False
    return True


def _option(stored: str, options: list | None):
    """The option a stored answer names (the store keeps its text), or the typed text itself."""
    return next((o for o in options if str(o) == stored), stored) if options is not None else stored


def guess(key: str) -> str | None:
    """The guess committed under ``key``, or None (none yet, or predict-before-reveal is off)."""
    return st.session_state.get(GUESSES, {}).get(key) if st.session_state.get(PREDICT) else None
