"""A browser tab without the browser: Streamlit's own websocket protocol, spoken from Python.

A student's tab and the server exchange protobufs over one websocket (`/_stcore/stream`):

- the tab sends a ``BackMsg``: "run the script" (``rerun_script``, a ``ClientState`` holding the
  page, the query string and the value of every widget it has touched), or "where may I put
  these files?" (``file_urls_request``);
- the server answers with ``ForwardMsg``s: ``new_session`` when a run starts (with the session
  id), ``navigation`` (the app's pages, and the one this run shows: a script's ``st.switch_page``
  moves the tab), ``page_info_changed`` (the query string the script wrote), one ``delta`` per
  element the script draws (its place in the page is ``metadata.delta_path``),
  ``script_finished``, ``file_urls_response``, and
  ``auto_rerun`` when a fragment asks to be run again every few seconds (the tab keeps the clock).

An upload is three steps, as the frontend does it: ask for a URL, PUT the file there as a
multipart form (with the XSRF token the server set as a cookie), then rerun with the file's id in
the uploader's widget state. This client does just that much, so that a load test measures the
server and not thirty page renderers.
"""

from __future__ import annotations

import asyncio
import http.cookies
import urllib.request
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

XSRF_COOKIE = "_streamlit_xsrf"
SERVER_COOKIE = "CNNLAB_SERVER"  # deploy/haproxy.cfg: which app server a browser is kept on


class PageException(Exception):
    """The page showed an exception (``st.exception``, or the script failed) while we waited."""


@dataclass
class Run:
    """What one script run drew: its elements by place on the page, and how it ended."""
    fragment: bool
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)  # the messages of its exception elements
    status: str | None = None  # ScriptFinishedStatus, once it has ended
    page: str = ""  # the page it ran (its url path, from the navigation message)


def find(elements: dict[tuple[int, ...], Element], kind: str, text: str = "") -> Element | None:
    """The first element of a kind (``"button"``, ``"plotly_chart"`` …) whose message contains ``text``."""
    for element in elements.values():
        if element.WhichOneof("type") == kind and text in str(getattr(element, kind)):
            return element
    return None


class Tab:
    """One student's tab: ``async with Tab(url, "classify", "picture.source=upload") as tab: ...``"""

    def __init__(self, url: str, page: str = "", query: str = "", headers: dict[str, str] | None = None,
                 server: str | None = None):
        self.url, self.page, self.query = url.rstrip("/"), page, query
        self.headers = headers or {}  # more headers for the websocket's handshake: X-Forwarded-For …
        self.session_id: str | None = None
        self.pages: dict[str, str] = {}  # url path -> page script hash, from the navigation message
        self.runs: list[Run] = []  # every run so far, the latest last
        self._widgets: dict[str, WidgetState] = {}  # what the tab has set, sent with every rerun
        self._page_hash = ""
        self._replies: dict[str, asyncio.Future] = {}
        self._timers: dict[str, asyncio.Task] = {}  # fragment id -> its auto-rerun clock
        self._news = asyncio.Condition()  # notified after every message from the server
        self.cookies: dict[str, str] = {}  # as a browser keeps them for this site
        if server:  # behind the school's proxy: this app server ("app1" …), as its sticky cookie says
            self.cookies[SERVER_COOKIE] = server

    async def __aenter__(self) -> Tab:
        self._xsrf = await asyncio.to_thread(self._xsrf_cookie)
        ws_url = "ws" + self.url[len("http"):] + "/_stcore/stream"
        self._ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                 additional_headers={"Cookie": self._cookie_header(), **self.headers})
        self._reader = asyncio.create_task(self._read())
        await self.rerun()
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop_timers()
        await self._ws.close()
        self._reader.cancel()

    # --- what the student sees -----------------------------------------------------------------

    def view(self, since: int = 0) -> dict[tuple[int, ...], Element]:
        """The page as drawn now: the latest run of the whole page, with the fragment runs since
        drawn over it (a fragment redraws only its own part). Empty while that run began before
        run number ``since`` (see ``mark``)."""
        last = max((i for i, run in enumerate(self.runs) if not run.fragment), default=-1)
        if last < max(since, 0):  # no run of the page yet, or none since the bookmark
            return {}
        view = dict(self.runs[last].elements)
        for run in self.runs[last + 1:]:
            view.update(run.elements)
        return view

    def mark(self) -> int:
        """A bookmark for ``wait_until``: only runs that begin from now on count."""
        return len(self.runs)

    async def wait_until(self, shown, since: int = 0, timeout: float = 120) -> dict[tuple[int, ...], Element]:
        """Wait until ``shown(view)`` is true of the page, and return the page; raise
        ``PageException`` as soon as a run since ``since`` shows an exception instead."""
        def failed() -> list[str]:
            return [message for run in self.runs[since:] for message in run.exceptions]

        async with self._news:
            await asyncio.wait_for(self._news.wait_for(lambda: failed() or shown(self.view(since))), timeout)
        if failed():
            raise PageException(failed()[0])
        return self.view(since)

    async def wait_for(self, kind: str, text: str = "", since: int = 0, timeout: float = 120) -> Element:
        """Wait until an element of that kind, containing that text, is on the page."""
        return find(await self.wait_until(lambda view: find(view, kind, text), since, timeout), kind, text)

    async def settled(self, since: int = 0, timeout: float = 120) -> dict[tuple[int, ...], Element]:
        """Wait until the page's latest run has ended (not cut short by a rerun it asked for)."""
        def done(view) -> bool:
            app = [run for run in self.runs[since:] if not run.fragment]
            return bool(app) and app[-1].status not in (None, "FINISHED_EARLY_FOR_RERUN")
        return await self.wait_until(done, since, timeout)

    # --- what the student does -----------------------------------------------------------------

    async def rerun(self, fragment_id: str = "", **changes: WidgetState) -> None:
        """Ask for a run with the page's widget states, as the frontend does after any interaction
        (``changes``: this interaction's, such as a button's trigger, sent once)."""
        state = ClientState(query_string=self.query, page_script_hash=self._page_hash, page_name=self.page,
                            fragment_id=fragment_id, is_auto_rerun=bool(fragment_id))
        state.widget_states.widgets.extend([*self._widgets.values(), *changes.values()])
        if not fragment_id:
            self._stop_timers()  # the new run of the page starts its own clocks
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())

    async def goto(self, page: str, query: str = "") -> None:
        """Follow a link in the sidebar to another page."""
        self.page, self.query, self._page_hash, self._widgets = page, query, self.pages[page], {}
        await self.rerun()

    def type_into(self, text_input: Element, text: str) -> None:
        """Type into a text input (sent with the next run: a form's, when its button is pressed)."""
        self._widgets[text_input.text_input.id] = WidgetState(id=text_input.text_input.id, string_value=text)

    async def toggle(self, checkbox: Element, on: bool) -> None:
        """Switch a toggle or tick a checkbox (kept with every later run, as in a browser)."""
        self._widgets[checkbox.checkbox.id] = WidgetState(id=checkbox.checkbox.id, bool_value=on)
        await self.rerun()

    async def click(self, button: Element) -> None:
        await self.rerun(click=WidgetState(id=button.button.id, trigger_value=True))

    async def upload(self, uploader: Element, name: str, data: bytes, mime: str = "image/jpeg") -> None:
        request_id = uuid.uuid4().hex
        reply = self._replies[request_id] = asyncio.get_running_loop().create_future()
        await self._ws.send(BackMsg(file_urls_request={
            "request_id": request_id, "file_names": [name], "session_id": self.session_id}).SerializeToString())
        urls = (await asyncio.wait_for(reply, 120)).file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, name, data, mime)
        state = WidgetState(id=uploader.file_uploader.id)
        state.file_uploader_state_value.uploaded_file_info.add(name=name, size=len(data), file_id=urls.file_id,
                                                                file_urls=urls)
        self._widgets[state.id] = state  # the uploader keeps its file in every later run, as in a browser
        await self.rerun()

    # --- the wire ------------------------------------------------------------------------------

    async def _read(self) -> None:
        async for frame in self._ws:
            msg = ForwardMsg.FromString(frame)
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # a run begins
                self.session_id = msg.new_session.initialize.session_id
                fragment = bool(msg.metadata.run.fragment_ids)
                if fragment and self.runs and not self.runs[-1].fragment and self.runs[-1].status is None:
                    # A fragment's auto-rerun asked for during a page run never stops it: it waits,
                    # and Streamlit (1.67) then starts it without a script_finished for the page
                    # run, whose body had run to its end (ScriptRunner._run_script).
                    self.runs[-1].status = "FINISHED_SUCCESSFULLY"
                self.runs.append(Run(fragment=fragment))
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self._page_hash = msg.navigation.page_script_hash  # the page this run shows
                # the server may have moved the tab (st.switch_page): its later runs are of that page
                self.page = next((p for p, h in self.pages.items() if h == self._page_hash), self.page)
                if self.runs:
                    self.runs[-1].page = self.page
            elif kind == "page_info_changed":  # the script wrote the address's query string
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                # a delta names no run: it belongs to the one begun last (a session's runs never overlap)
                self.runs[-1].elements[tuple(msg.metadata.delta_path)] = element
                if element.WhichOneof("type") == "exception":
                    self.runs[-1].exceptions.append(element.exception.message)
            elif kind == "script_finished":
                self.runs[-1].status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            elif kind == "file_urls_response":
                self._replies.pop(msg.file_urls_response.response_id).set_result(msg.file_urls_response)
            elif kind == "auto_rerun" and msg.auto_rerun.fragment_id not in self._timers:
                self._timers[msg.auto_rerun.fragment_id] = asyncio.create_task(
                    self._tick(msg.auto_rerun.fragment_id, msg.auto_rerun.interval))
            elif kind == "stop_auto_rerun":
                self._stop_timers()
            async with self._news:
                self._news.notify_all()

    def _stop_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.rerun(fragment_id=fragment_id)

    def _xsrf_cookie(self) -> str:
        """Streamlit's XSRF cookie, and every other cookie of the first response: behind a sticky
        proxy, its server cookie (HAProxy's CNNLAB_SERVER) keeps this tab on one app server."""
        request = urllib.request.Request(f"{self.url}/_stcore/health", headers={"Cookie": self._cookie_header()})
        with urllib.request.urlopen(request, timeout=30) as reply:
            for header in reply.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
        return self.cookies.get(XSRF_COOKIE, "")

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _put(self, upload_url: str, name: str, data: bytes, mime: str) -> None:
        boundary = uuid.uuid4().hex
        body = b"".join([f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                         f"Content-Type: {mime}\r\n\r\n".encode(), data, f"\r\n--{boundary}--\r\n".encode()])
        target = upload_url if urlsplit(upload_url).scheme else self.url + upload_url
        request = urllib.request.Request(target, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self._xsrf,
            "Cookie": self._cookie_header()})
        with urllib.request.urlopen(request, timeout=120):
            pass
