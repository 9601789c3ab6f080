"""The runs in flight, in the class store: so that a run a restart interrupted is said, not lost.

A job runner tells its ``StoreJournal`` of every job queued and ended (``jobs.Journal``); the
journal writes a ``live_runs`` row for each queued job and deletes it when the job ends. A
server that starts again finds its own rows still live: those runs were interrupted by the
restart (a local runner's runs die with its process). They are marked "interrupted", and the
student's training page says so once (``Store.take_interrupted``).

The runner calls the journal holding its own lock, so the journal only puts the event in a
queue; one thread of its own writes them, in order (a job's end is never written before its
start), and a database that fails costs a line in the console, never a run.

    journal = StoreJournal(database.store(), server_name(8501), interrupt_leftovers=True)
"""

from __future__ import annotations

import logging
import queue
import socket
import threading

from models.store import database

log = logging.getLogger("cnnlab.store")


def server_name(port: object) -> str:
    """This app server in the class: its machine and port (the same after a restart)."""
    return f"{socket.gethostname()}:{port}"


class StoreJournal:
    def __init__(self, store: database.Store, server: str, interrupt_leftovers: bool = True):
        self.store, self.server = store, server
        self._events: queue.Queue = queue.Queue()
        if interrupt_leftovers:  # before any run of this process is written
            try:
                if found := store.interrupt_leftovers(server):
                    log.warning("%d run(s) of this server were interrupted by its restart; their students are told",
                                found)
            except database.StoreFailed:
                log.exception("the class database could not mark the runs this server's restart interrupted")
        threading.Thread(target=self._write_forever, daemon=True, name="run-journal").start()

    def key(self, job) -> str:
        return f"{self.server}/{job.id}"

    def started(self, job) -> None:
        if job.owner == database.CLASS:  # a class run is written by its relay (models.store.class_runs)
            return
        self._events.put(("started", self.key(job), job.owner, job.tag))

    def ended(self, job) -> None:
        if job.owner == database.CLASS:
            return
        self._events.put(("ended", self.key(job)))

    def flush(self) -> None:
        """Wait until every event so far is written (tests; the app never waits)."""
        self._events.join()

    def _write_forever(self) -> None:
        while True:
            event = self._events.get()
            try:
                if event[0] == "started":
                    self.store.run_started(event[1], event[2], event[3], self.server)
                else:
                    self.store.run_ended(event[1])
            except Exception:  # the run goes on; the teacher's console says why
                log.exception("the class database could not note a run's %s", event[0])
            finally:
                self._events.task_done()
