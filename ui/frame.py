"""The frame every page shares: navigation, language toggle, device badge, weights status."""

from __future__ import annotations

import logging

import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

from lessons import course
from models import settings
from models.runtime import device, priority, zoo
from models.runtime.networks import NETWORKS
from models.runtime.weights import FETCH_COMMAND, State
from models.runtime.zoo import STORE
from models.store import database, teacher
from models.training import datasets
from models.training.train import TrainConfig
from ui import access, classroom, identity, lead, runs, saving
from ui.i18n import lang, language_toggle, say, t
from ui.state import begin_run, forget_url_values, url_values_refused, write_url

log = logging.getLogger(__name__)

# The course (lessons/course.toml) gives each page: its script app_pages/<id>.py, its group, its icon.
# (Not pages/: a folder of that name switches Streamlit's old multipage mode on, in which a page
# opened first after a server start runs without this frame.)


_process_ready = False
URL_REFUSED = "_frame.url_refused"


def build() -> st.Page:
    """The frame: page config, sidebar, navigation. Returns the page to run."""
    global _process_ready
    if not _process_ready:  # once per process, with torch, streamlit and plotly imported
        zoo.freeze_heap()
        _process_ready = True
        datasets.prepare(TrainConfig().dataset)  # the training lab's default, before the first student asks
        settings.current()  # every refused setting said in the console now, at start (a short teacher's key too)
        teacher.key()  # and the teacher's key, if drawn
    begin_run()
    st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")
    sidebar()
    access.apply()  # after the language is known: the page's language, contrast, focus, motion (ui/access.py)
    if st.session_state.pop(URL_REFUSED, False):
        st.warning(t("frame.url_refused"), icon="🔗")
    return st.navigation(navigation(), expanded=True)  # every lesson in sight: a course is read in order


def run(page: st.Page) -> None:
    """Run the page. If a value that came from the link was refused (``?train.lr=99``, out of its
    widget's range; ``?rf.opacity=nan``: see ``ui.state``), run it again without the link's
    values, and say so, instead of an exception or a page half set from the link. If the class
    database fails during the class, the page says so in the student's language and the teacher's
    console gets the details."""
    lesson = page.url_path or course()[0].id  # the first lesson, the default page, is at "/"
    classroom.begin(lesson)  # its section's key is the lesson's, as ui.lead reads and writes it
    lead.follow(lesson)  # a student's tab moves with the teacher who leads the class (ui/lead.py)
    try:
        with priority.page_running():  # a training run on this server's CPU waits meanwhile
            page.run()
            if not url_values_refused():
                classroom.controls()
                write_url()
                lead.after_page(lesson)  # the leading teacher's page, settings and section
                saving.notice()  # what could not be saved, if anything
                return
    except StreamlitAPIException:  # some widgets raise on a value they cannot show
        if not forget_url_values():  # none came from the link: not the link's doing
            raise
    except database.StoreFailed as err:  # a read the page needed (its writes are ui.saving's)
        log.error("The class database failed while %s ran: %s", page.url_path, database.first_line(err))
        st.warning(t("student.store_failed"), icon="💾")
        saving.notice()
        return
    forget_url_values()
    st.session_state[URL_REFUSED] = True
    st.rerun()


PAGES = "_frame.pages"  # (language, the navigation's pages): made once per session and language


def navigation() -> dict[str, list[st.Page]]:
    """The course's pages by group, in the session's language. Made once per session and language:
    st.Page looks its script up on the disk each time it is made (about 5% of a page run's work
    when a class follows the teacher, in py-spy's samples); st.navigation marks which page a run
    may call on these objects, which is why they are the session's own and not the process's."""
    made = st.session_state.get(PAGES)
    if made is not None and made[0] == lang():
        return made[1]
    groups: dict[str, list[st.Page]] = {}
    for i, lesson in enumerate(course()):
        page = st.Page(
            f"app_pages/{lesson.id}.py", title=t(f"page.{lesson.id}"), icon=lesson.icon,
            url_path=lesson.id, default=i == 0,
        )
        groups.setdefault(t(f"nav.{lesson.group}"), []).append(page)
    st.session_state[PAGES] = (lang(), groups)
    return groups


def device_badge() -> None:
    choice = device.current()
    label = t("sidebar.cpu", threads=torch.get_num_threads()) if choice.device.type == "cpu" else choice.label
    st.sidebar.caption(f"{t('sidebar.device')}: **{label}**")
    if choice.note:
        st.sidebar.warning(say(choice.note))


def _weights_status() -> bool:
    """Draw each checkpoint's state; return True while any download is in progress."""
    downloading = False
    for name, network in NETWORKS.items():
        status = STORE.ensure(name)
        title = network.title
        if status.state is State.READY:
            st.caption(f"✅ {title} — {t('sidebar.weights_ready')}")
        elif status.state is State.DOWNLOADING:
            downloading = True
            st.progress(status.fraction, text=f"{title} — {t('sidebar.weights_downloading')} {status.fraction:.0%}")
        else:
            key = "sidebar.weights_corrupt" if status.state is State.CORRUPT else "sidebar.weights_unavailable"
            st.caption(f"⚠️ {title} — {t(key)}")
    return downloading


def _weights_status_live() -> None:
    """Run as a fragment that refreshes once a second while a download runs."""
    if not _weights_status():
        st.rerun(scope="app")  # weights just became ready: pages reload the pretrained models


def weights_panel() -> None:
    with st.sidebar:
        st.caption(f"**{t('sidebar.weights')}**")
        if any(STORE.ensure(name).state is State.DOWNLOADING for name in NETWORKS):
            st.fragment(_weights_status_live, run_every=1.0)()
        else:
            _weights_status()
        if any(STORE.status(name).state in (State.UNAVAILABLE, State.CORRUPT) for name in NETWORKS):
            st.caption(t("sidebar.weights_fix"))
            st.code(FETCH_COMMAND, language="bash", wrap_lines=True)  # wrapped: no scrolling box


def sidebar() -> None:
    device.use_threads()  # each script run is a new thread: see models.runtime.device.use_threads
    identity.begin()  # first: a student forgotten in another tab lets go of this tab's widgets too
    language_toggle()
    runs.register_tab()
    classroom.toggles()
    device_badge()
    weights_panel()
    identity.panel()
    identity.keep_cookie()
