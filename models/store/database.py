"""``Store``: every read and write of the class store, each one short transaction.

SQLite (the default, a file in the user's data folder) runs in WAL mode with a busy timeout, so
thirty sessions and two server processes can write one file at once; a write that still meets
"database is locked" is retried a few times. PostgreSQL is one setting away
(``CNNLAB_DB=postgresql+psycopg://user:password@host/db``). A crash in the middle of a write
loses at most that write: each is its own transaction.

Every method that reads or writes a student's data takes that student's id, which only their own
browser's token hashes to; nothing a student types is part of a query but as a bound value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import case, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from models import settings
from models.store import codec, names, schema
from models.store.codec import StoredRowError, StoredRun
from models.store.csv_file import csv_bytes
from models.store.schema import (
    BLOBS,
    LEAD_ROW,
    class_runs,
    forgotten,
    gates,
    key_misses,
    lead,
    live_runs,
    pictures,
    poll_answers,
    polls,
    quiz_answers,
    runs,
    students,
)

log = logging.getLogger("cnnlab.store")
StoreFailed = SQLAlchemyError  # the database failed during the class (a server gone, a disk full): pages say so


class StoreGone(SQLAlchemyError):
    """The class store's SQLite file was deleted or replaced during the class. SQLite would go on
    writing into the deleted file, which no restart can open again: the class would be lost at
    the next restart without a word. So from then on every write fails, and pages say so."""
T = TypeVar("T")

TOKEN_BYTES = 32  # 256 random bits: not guessable from anyone else's
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
KEEP_WEIGHTS = 3  # trained weights kept per student; older runs keep their row and curves
CLASS = "class"  # the owner of the class runs in the runner: a student's id is 64 hex digits, never this
LOST_AFTER_S = 30.0  # a live class run whose server has written nothing for this long has gone with it


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def student_id(token: str) -> str:
    """What the store knows a student by: the SHA-256 of their browser's token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Student:
    id: str
    number: int  # 0: not in the class yet (nothing done so far, so nothing stored)
    display_name: str | None

    @property
    def name(self) -> str:
        """The name the class sees (``models.store.names``: cleaned, never another student's)."""
        return names.shown(self.display_name, self.number)


@dataclass(frozen=True)
class Answer:
    lesson: str
    question: str
    given: str
    correct: bool
    seconds: float | None
    answered_at: float


@dataclass(frozen=True)
class Lead:
    """Where the teacher leads the class: a page, its kept settings (key → the text its link
    carries), the section on screen in presentation view. ``version`` grows at every change."""
    leading: bool
    page: str | None
    settings: dict[str, str]
    step: int
    version: int
    changed_at: float


@dataclass(frozen=True)
class ClassRun:
    """A lesson's demo the teacher started once for the class (``models.store.class_runs``)."""
    id: int
    tag: str
    kind: str
    state: str  # "queued", "running", "done" (saved also: "stopped", "failed", "lost"; never read back)
    server: str
    job_id: int | None
    stop: bool  # the teacher asked to stop it
    history: list  # (label, Point) pairs so far
    summary: dict  # the results table once done
    started_at: float

    @property
    def live(self) -> bool:
        return self.state in ("queued", "running")


@dataclass(frozen=True)
class Poll:
    """A question the class answers together while the teacher leads (``ui.poll``)."""
    id: int
    key: str  # what it asks: a guess's key ("arith.32.5.0.1.1"), or "quiz.<lesson>.<question>"
    seed: int | None  # a pushed quiz question's numbers, the same for the whole class
    opened_at: float
    shown: bool  # the teacher showed the answers' distribution
    revealed: bool  # the teacher revealed the result to everyone


def _poll(row) -> Poll:
    return Poll(row.id, row.key, row.seed, row.opened_at, row.shown_at is not None, row.revealed_at is not None)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA busy_timeout=5000")  # a writer waits up to 5 s for another
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at each checkpoint, no torn writes
    cursor.close()


def default_url() -> str:
    folder = Path.home() / ".local" / "share" / "cnnlab"
    return f"sqlite:///{folder / 'class.sqlite'}"


class Store:
    def __init__(self, url: str, saving: bool = True):
        self.url, self._saving = url, saving
        self.backend = url.split(":", 1)[0].split("+", 1)[0]  # "sqlite", "postgresql"
        self._file: Path | None = None  # a SQLite store's file, watched while the class goes on
        if self.backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            if path and path != url and not path.startswith(":memory:"):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            memory = url in ("sqlite://", "sqlite:///:memory:")
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5},
                                        **({"poolclass": StaticPool} if memory else {}))
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        self._number_lock = threading.Lock()
        schema.migrate(self.engine)
        database = self.engine.url.database if self.backend == "sqlite" else None  # the path, without ?options
        if database and database != ":memory:":
            try:
                self._file, self._inode = Path(database), Path(database).stat().st_ino
            except OSError:  # not a plain file of this machine: not watched
                self._file = None
        self.gone = False  # the file was deleted or replaced: nothing is saved any more (said once)

    @property
    def saving(self) -> bool:
        """Whether what students do is being kept: not for a store in memory (the database could
        not be opened), nor once its file has gone."""
        return self._saving and not self._file_gone()

    def _file_gone(self) -> bool:
        """Whether the SQLite file opened at the start is no longer where it was (a stat: cheap)."""
        if self._file is None or self.gone:
            return self.gone
        try:
            same = self._file.stat().st_ino == self._inode
        except OSError:
            same = False
        if not same:
            self.gone = True
            log.error("The class store's file %s was deleted or replaced during the class: nothing more can be "
                      "saved in it, and what was saved since the start is lost at the next restart. Restart the "
                      "server to start a new file (or restore it from a backup).", self._file)
        return self.gone

    # --- writing, with retries --------------------------------------------------------------

    def _write(self, work: Callable, attempts: int = 5) -> T:
        if self._file_gone():
            raise StoreGone(f"the class store's file {self._file} is gone")
        for attempt in range(attempts):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except OperationalError as err:
                if "locked" not in str(err).lower() or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * 2 ** attempt)  # another process holds the write lock: wait, then again

    def _read(self, work: Callable) -> T:
        with self.engine.connect() as conn:
            return work(conn)

    # --- students ------------------------------------------------------------------------

    def arrive(self, token: str) -> Student:
        """The student of this token, in the class from now on; marks them as here now."""
        return self.visit(student_id(token))

    def standing(self, sid: str) -> Student | None:
        """The student as stored (number 0 when not yet in the class), or None when they asked to
        be forgotten: one short read, made on every run of a student's page."""
        def work(conn):
            row = conn.execute(select(students).where(students.c.id == sid)).first()
            if row is not None:
                return Student(row.id, row.number, row.display_name)
            return None if _forgotten(conn, sid) else Student(sid, 0, None)

        return self._read(work)

    def seen(self, sid: str) -> Student:
        """Marks a stored student as here now; one not stored stays so. The student as stored."""
        now = time.time()
        self._write(lambda conn: conn.execute(update(students).where(students.c.id == sid).values(last_seen=now)))
        return self.student(sid) or Student(sid, 0, None)

    def visit(self, sid: str) -> Student | None:
        """The student as stored now, created when they first do something (or again if the class
        was reset); marks them as here. None for a student who asked to be forgotten: a tab still
        holding their old token cannot bring them back."""
        now = time.time()

        def work(conn):
            row = conn.execute(select(students).where(students.c.id == sid)).first()
            if row is None:
                if _forgotten(conn, sid):
                    return None
                number = (conn.execute(select(func.max(students.c.number))).scalar() or 0) + 1
                conn.execute(insert(students).values(id=sid, number=number, display_name=None,
                                                     created_at=now, last_seen=now))
                return Student(sid, number, None)
            conn.execute(update(students).where(students.c.id == sid).values(last_seen=now))
            return Student(sid, row.number, row.display_name)

        with self._number_lock:  # two first visits in this process: two numbers
            for attempt in range(10):
                try:
                    return self._write(work)
                except IntegrityError:  # another server took that number at the same moment: the next one
                    time.sleep(0.01 * attempt)
            return self._write(work)

    def _present(self, sid: str) -> bool:
        """The student's row exists, made now if this is the first thing they do (or again after
        the teacher reset the class). False for a forgotten student: nothing is written for them."""
        return self.student(sid) is not None or self.visit(sid) is not None

    def is_forgotten(self, sid: str) -> bool:
        return self._read(lambda conn: _forgotten(conn, sid))

    def rename(self, sid: str, name: str) -> Student:
        """The student's name, as they typed it, cleaned (``names.chosen``); ``names.NameRefused``
        for a name with nothing visible left, or another student's."""
        if not self._present(sid):  # a forgotten student: nothing is written for them
            return Student(sid, 0, None)

        def work(conn):
            number = conn.execute(select(students.c.number).where(students.c.id == sid)).scalar_one()
            others = conn.execute(select(students.c.display_name).where(students.c.id != sid)).scalars().all()
            conn.execute(update(students).where(students.c.id == sid)
                         .values(display_name=names.chosen(name, number, others)))

        self._write(work)
        return self.student(sid)

    def student(self, sid: str) -> Student | None:
        row = self._read(lambda conn: conn.execute(select(students).where(students.c.id == sid)).first())
        return Student(row.id, row.number, row.display_name) if row else None

    def forget(self, sid: str) -> None:
        """Everything stored about this student, gone; their id is kept as forgotten, so that
        nothing is ever stored under it again (``visit``)."""
        def work(conn):
            for table in (runs, quiz_answers, pictures, live_runs, poll_answers):
                conn.execute(delete(table).where(table.c.student_id == sid))
            conn.execute(delete(students).where(students.c.id == sid))
            if conn.execute(select(forgotten.c.id).where(forgotten.c.id == sid)).first() is None:
                conn.execute(insert(forgotten).values(id=sid, at=time.time()))

        self._write(work)

    # --- runs ----------------------------------------------------------------------------

    def save_run(self, sid: str, kind: str, tag: str, result=None, *, label: str = "", summary: dict | None = None,
                 history: list | None = None, keep_weights: bool = True) -> int:
        """A finished run: a training-lab RunResult (with its weights), or a lesson task's row."""
        if result is not None:
            values = codec.encode_result(result)
            if not keep_weights:
                values["weights"] = None
        else:
            values = {"label": label, "summary": json.dumps(summary or {}),
                      "history": codec.encode_history(history or []), "meta": "{}", "weights": None,
                      "final_acc": (summary or {}).get("val acc"), "best_acc": (summary or {}).get("best val acc"),
                      "test_acc": (summary or {}).get("test acc"), "heldout": "validation",
                      "seconds": (summary or {}).get("time (s)")}

        if not self._present(sid):
            return 0  # forgotten: kept nowhere

        def work(conn):
            new = conn.execute(insert(runs).values(student_id=sid, kind=kind, tag=tag, created_at=time.time(),
                                                   **values)).inserted_primary_key[0]
            if values["weights"] is not None:  # keep the weights of the latest few only
                kept = conn.execute(select(runs.c.id).where(runs.c.student_id == sid, runs.c.weights.is_not(None))
                                    .order_by(runs.c.id.desc()).offset(KEEP_WEIGHTS)).scalars().all()
                if kept:
                    conn.execute(update(runs).where(runs.c.id.in_(kept)).values(weights=None))
            return new

        return self._write(work)

    def runs(self, sid: str, tag: str | None = None, with_weights: bool = False) -> tuple[list[StoredRun], list[str]]:
        """This student's runs, oldest first, and a note for each stored row that could not be read."""
        columns = [c for c in runs.c if c.name not in BLOBS and (with_weights or c.name != "weights")]

        def work(conn):
            query = select(*columns).where(runs.c.student_id == sid)
            if tag is not None:
                query = query.where(runs.c.tag == tag)
            return conn.execute(query.order_by(runs.c.id)).all()

        good, skipped = [], []
        for row in self._read(work):
            if not with_weights:
                row = _WithoutWeights(row)
            try:
                good.append(codec.decode_row(row))
            except StoredRowError as err:
                log.warning("skipped a stored run: %s", err)
                skipped.append(str(err))
        return good, skipped

    def run_with_weights(self, sid: str, run_id: int) -> StoredRun | None:
        row = self._read(lambda conn: conn.execute(
            select(*[c for c in runs.c if c.name not in BLOBS])
            .where(runs.c.id == run_id, runs.c.student_id == sid)).first())
        return codec.decode_row(row) if row else None

    def snapshots(self, sid: str, run_id: int) -> list:
        """The snapshots of one of this student's runs (``models.training.snapshots``); [] if none
        were kept, or if they do not read back (said in the console)."""
        blob = self._read(lambda conn: conn.execute(
            select(runs.c.snapshots).where(runs.c.id == run_id, runs.c.student_id == sid)).scalar())
        try:
            return codec.decode_snapshots(blob)
        except StoredRowError as err:
            log.warning("run %s: %s", run_id, err)
            return []

    def evaluation(self, sid: str, run_id: int, classes: tuple[str, ...]):
        """The final predictions of one of this student's runs on its validation images
        (``models.training.mistakes.Evaluation``); None for runs kept before version 5, or if they
        do not read back (said in the console)."""
        blob = self._read(lambda conn: conn.execute(
            select(runs.c.evaluation).where(runs.c.id == run_id, runs.c.student_id == sid)).scalar())
        try:
            return codec.decode_evaluation(blob, classes)
        except StoredRowError as err:
            log.warning("run %s: %s", run_id, err)
            return None

    def weights_kept(self, sid: str) -> set[int]:
        return set(self._read(lambda conn: conn.execute(
            select(runs.c.id).where(runs.c.student_id == sid, runs.c.weights.is_not(None))).scalars().all()))

    # --- quiz ----------------------------------------------------------------------------

    def save_answer(self, sid: str, lesson: str, question: str, given: str, correct: bool,
                    seconds: float | None) -> None:
        if not self._present(sid):
            return
        self._write(lambda conn: conn.execute(insert(quiz_answers).values(
            student_id=sid, lesson=lesson, question=question, given=given[:400], correct=bool(correct),
            seconds=seconds, answered_at=time.time())))

    def answers(self, sid: str) -> list[Answer]:
        """This student's answers, oldest first (the latest for a question is the one that counts)."""
        rows = self._read(lambda conn: conn.execute(
            select(quiz_answers).where(quiz_answers.c.student_id == sid).order_by(quiz_answers.c.id)).all())
        return [Answer(r.lesson, r.question, r.given, r.correct, r.seconds, r.answered_at) for r in rows]

    # --- the student's picture -----------------------------------------------------------

    def keep_picture(self, sid: str, name: str, data: bytes) -> None:
        if not self._present(sid):
            return

        def work(conn):
            conn.execute(delete(pictures).where(pictures.c.student_id == sid))
            conn.execute(insert(pictures).values(student_id=sid, name=name[:200], data=data, saved_at=time.time()))

        self._write(work)

    def picture(self, sid: str) -> tuple[str, bytes] | None:
        row = self._read(lambda conn: conn.execute(select(pictures).where(pictures.c.student_id == sid)).first())
        return (row.name, row.data) if row else None

    def drop_picture(self, sid: str) -> None:
        self._write(lambda conn: conn.execute(delete(pictures).where(pictures.c.student_id == sid)))

    # --- the teacher's view of the class -------------------------------------------------

    def class_students(self) -> list[tuple[Student, float]]:
        """Every student of the class, with when they were last seen."""
        rows = self._read(lambda conn: conn.execute(select(students).order_by(students.c.number)).all())
        return [(Student(r.id, r.number, r.display_name), r.last_seen) for r in rows]

    def class_runs(self) -> list[tuple[Student, StoredRun]]:
        """Every finished run of the class (without weights), best validation accuracy first."""
        def work(conn):
            cols = [c for c in runs.c if c.name not in ("weights", *BLOBS)]
            return conn.execute(select(*cols, students.c.number, students.c.display_name)
                                .join(students, students.c.id == runs.c.student_id)
                                .order_by(runs.c.final_acc.desc().nulls_last(), runs.c.id)).all()

        out = []
        for row in self._read(work):
            try:
                out.append((Student(row.student_id, row.number, row.display_name),
                            codec.decode_row(_WithoutWeights(row))))
            except StoredRowError as err:
                log.warning("skipped a stored run: %s", err)
        return out

    def quiz_summary(self, same: Callable[[str, str, str], str] = lambda lesson, question, given: given) -> list[dict]:
        """Per question: how many of the class answered it, how many got it right (each student's
        latest answer counts), and the most common wrong answer. ``same(lesson, question, given)``
        names an answer so that two ways of storing one choice count as one (the store knows no
        quiz: the caller does)."""
        rows = self._read(lambda conn: conn.execute(select(quiz_answers).order_by(quiz_answers.c.id)).all())
        latest = {(r.student_id, r.lesson, r.question): r for r in rows}
        by_question: dict[tuple[str, str], list] = {}
        for r in latest.values():
            by_question.setdefault((r.lesson, r.question), []).append(r)
        summary = []
        for (lesson, question), answers in sorted(by_question.items()):
            wrong = Counter(same(a.lesson, a.question, a.given) for a in answers if not a.correct)
            summary.append({"lesson": lesson, "question": question, "answered": len(answers),
                            "right": sum(a.correct for a in answers),
                            "common_wrong": wrong.most_common(1)[0][0] if wrong else "",
                            "common_wrong_count": wrong.most_common(1)[0][1] if wrong else 0})
        return summary

    def export_csv(self) -> dict[str, bytes]:
        """The whole class as CSV files: students, runs, quiz answers (cells a spreadsheet would run
        as a formula neutralised, ``models.store.csv_file``)."""
        everyone = self.class_students()
        by_id = {s.id: s.name for s, _ in everyone}
        answers = self._read(lambda conn: conn.execute(select(quiz_answers).order_by(quiz_answers.c.id)).all())
        return {
            "students.csv": csv_bytes(["student", "number", "last_seen"],
                                      ([s.name, s.number, _when(seen)] for s, seen in everyone)),
            "runs.csv": csv_bytes(
                ["student", "kind", "where", "label", "val acc", "best val acc", "test acc", "curves measured on",
                 "time (s)", "settings"],
                ([s.name, run.kind, run.tag, run.label, run.summary.get("val acc"), run.summary.get("best val acc"),
                  run.summary.get("test acc"), run.heldout, run.summary.get("time (s)"), json.dumps(run.summary)]
                 for s, run in self.class_runs())),
            "quiz_answers.csv": csv_bytes(
                ["student", "lesson", "question", "given", "correct", "seconds", "answered_at"],
                ([by_id.get(r.student_id, "?"), r.lesson, r.question, r.given, r.correct, r.seconds,
                  _when(r.answered_at)] for r in answers)),
        }

    def reset_class(self) -> None:
        """A new class: every student, run, answer and picture is deleted, and the lead is off
        (no page, no settings; its version grows, so every following tab lets go)."""
        def work(conn):
            for table in (live_runs, runs, quiz_answers, poll_answers, polls, pictures, students, class_runs):
                conn.execute(delete(table))
            conn.execute(update(lead).where(lead.c.name == LEAD_ROW).values(
                leading=False, page=None, settings="{}", step=0, version=lead.c.version + 1, changed_at=time.time()))

        self._write(work)

    # --- the teacher key's gate ----------------------------------------------------------

    def take_turn(self, gate: str, interval_s: float, max_wait_s: float) -> float | None:
        """A turn of ``gate``, shared by every app server on this store: the moment (time.time())
        it starts, ``interval_s`` after the turn before; None, and no turn, when that moment is
        more than ``max_wait_s`` away. One UPDATE: two servers asking at once get two turns."""
        now = time.time()
        start = case((gates.c.next_at > now, gates.c.next_at), else_=now)

        def work(conn):
            taken = conn.execute(update(gates).where(gates.c.name == gate, gates.c.next_at <= now + max_wait_s)
                                 .values(next_at=start + interval_s))
            if taken.rowcount == 0:
                return None
            return conn.execute(select(gates.c.next_at).where(gates.c.name == gate)).scalar() - interval_s

        return self._write(work)

    def note_miss(self, at: float, address: str) -> None:
        """A wrong teacher's key, tried at ``at`` from ``address``."""
        self._write(lambda conn: conn.execute(insert(key_misses).values(at=at, address=address[:64])))

    def misses(self, since: float = 0.0) -> list[tuple[float, str]]:
        """The wrong teacher's keys tried since ``since``: (when, from where), oldest first."""
        return [tuple(r) for r in self._read(lambda conn: conn.execute(
            select(key_misses.c.at, key_misses.c.address).where(key_misses.c.at >= since)
            .order_by(key_misses.c.at)).all())]

    # --- the teacher leading the class ---------------------------------------------------

    def lead(self) -> Lead:
        """The lead as it stands: one read of one row, made by every student's tab once a second."""
        row = self._read(lambda conn: conn.execute(select(lead).where(lead.c.name == LEAD_ROW)).first())
        try:
            settings_ = {str(k): str(v) for k, v in json.loads(row.settings).items()}
        except (ValueError, AttributeError):  # not a JSON object: follow no setting
            settings_ = {}
        return Lead(bool(row.leading), row.page, settings_, int(row.step), int(row.version), float(row.changed_at))

    def set_leading(self, on: bool) -> Lead:
        """The teacher switches leading on (no page yet: the tabs wait for the first) or off. Either
        way the class's polls are closed: a new lead asks its questions afresh."""
        def work(conn):
            conn.execute(update(lead).where(lead.c.name == LEAD_ROW).values(
                leading=on, page=None, settings="{}", step=0, version=lead.c.version + 1, changed_at=time.time()))
            conn.execute(update(polls).where(polls.c.closed.is_(False)).values(closed=True))

        self._write(work)
        return self.lead()

    def lead_to(self, page: str, settings_: dict[str, str], step: int) -> bool:
        """The teacher shows ``page`` with these settings at this step; False, and nothing
        written, when the class is not being led (switched off meanwhile, from another tab)."""
        return bool(self._write(lambda conn: conn.execute(
            update(lead).where(lead.c.name == LEAD_ROW, lead.c.leading.is_(True))
            .values(page=page[:40], settings=json.dumps(settings_, sort_keys=True), step=step,
                    version=lead.c.version + 1, changed_at=time.time())).rowcount))

    # --- the class runs -----------------------------------------------------------------------

    def claim_class_run(self, tag: str, kind: str, server: str) -> int | None:
        """A new live class run of ``tag`` (queued), or None when the class has one live already,
        whichever server or tab started it. A live one whose server has been silent for
        ``LOST_AFTER_S`` is marked lost first. The unique ``live`` column makes two claims at the
        same moment one run: the second insert fails."""
        now = time.time()

        def work(conn):
            conn.execute(update(class_runs).where(class_runs.c.live == 1, class_runs.c.beat < now - LOST_AFTER_S)
                         .values(live=None, state="lost"))
            return conn.execute(insert(class_runs).values(
                tag=tag[:60], kind=kind[:20], state="queued", live=1, server=server[:120], job_id=None, stop=False,
                history="[]", summary="{}", started_at=now, beat=now)).inserted_primary_key[0]

        try:
            return self._write(work)
        except IntegrityError:  # another class run is live
            return None

    def class_run_progress(self, run_id: int, state: str, job_id: int | None = None,
                           history: list | None = None) -> bool | None:
        """The submitting server's beat: the run's state, its job, and its points when given. Returns
        whether the teacher asked to stop it; None when it is no longer live here (the class was
        reset, or it was marked lost): the server stops it."""
        values = {"state": state, "beat": time.time(), **({"job_id": job_id} if job_id is not None else {}),
                  **({"history": codec.encode_history(history)} if history is not None else {})}

        def work(conn):
            if not conn.execute(update(class_runs).where(class_runs.c.id == run_id, class_runs.c.live == 1)
                                .values(**values)).rowcount:
                return None
            return bool(conn.execute(select(class_runs.c.stop).where(class_runs.c.id == run_id)).scalar())

        return self._write(work)

    def finish_class_run(self, run_id: int, state: str, history: list, summary: dict) -> bool:
        """The class run ended (``state`` "done", "stopped" or "failed"), its curves and results kept,
        state and results in one write: once, whoever calls it again (False then)."""
        return bool(self._write(lambda conn: conn.execute(
            update(class_runs).where(class_runs.c.id == run_id, class_runs.c.live == 1)
            .values(live=None, state=state, history=codec.encode_history(history), summary=json.dumps(summary),
                    beat=time.time())).rowcount))

    def stop_class_run(self, run_id: int) -> None:
        """The teacher's Stop, from any server: the submitting server stops it at its next beat."""
        self._write(lambda conn: conn.execute(update(class_runs).where(class_runs.c.id == run_id).values(stop=True)))

    def class_run(self, tag: str | None = None, live: bool = False) -> ClassRun | None:
        """The class run a page of ``tag`` shows: the live one if any, else the latest done (never a
        stopped or failed one: a half-trained run does not replace a recorded one). With
        ``live``, only the class's live run, of any tag. A live run whose server has been silent for
        ``LOST_AFTER_S`` is read as lost (not shown)."""
        fresh = (class_runs.c.live == 1) & (class_runs.c.beat >= time.time() - LOST_AFTER_S)
        query = select(class_runs).where(fresh if live else fresh | (class_runs.c.state == "done"))
        if tag is not None:
            query = query.where(class_runs.c.tag == tag)
        row = self._read(lambda conn: conn.execute(query.order_by(class_runs.c.live.is_(None),
                                                                  class_runs.c.id.desc())).first())
        if row is None:
            return None
        try:
            return ClassRun(row.id, row.tag, row.kind, row.state, row.server, row.job_id, bool(row.stop),
                            codec.decode_history(row.history), json.loads(row.summary), row.started_at)
        except (ValueError, KeyError, TypeError) as err:  # curves that do not parse: not shown
            log.warning("skipped a stored class run: %s", type(err).__name__)
            return None

    # --- the class polls ----------------------------------------------------------------------

    def poll(self, key: str) -> Poll | None:
        """The current poll of ``key``: its latest one not closed; None when none was opened since
        the lead was switched on."""
        row = self._read(lambda conn: conn.execute(
            select(polls).where(polls.c.key == key, polls.c.closed.is_(False)).order_by(polls.c.id.desc())).first())
        return _poll(row) if row else None

    def open_poll(self, key: str, seed: int | None = None, again: bool = False) -> Poll:
        """The current poll of ``key``, opened now if it has none, or (``again``) in any case: a
        new poll, whose answers start from none (the earlier one is closed, and stays for the dashboard)."""
        def work(conn):
            if not again:
                row = conn.execute(select(polls).where(polls.c.key == key, polls.c.closed.is_(False))
                                   .order_by(polls.c.id.desc())).first()
                if row is not None:
                    return row.id
            # one open poll per key: the earlier ones close in the same transaction
            conn.execute(update(polls).where(polls.c.key == key[:120], polls.c.closed.is_(False)).values(closed=True))
            return conn.execute(insert(polls).values(key=key[:120], seed=seed, closed=False, opened_at=time.time(),
                                                     shown_at=None, revealed_at=None)).inserted_primary_key[0]

        poll_id = self._write(work)
        return _poll(self._read(lambda conn: conn.execute(select(polls).where(polls.c.id == poll_id)).one()))

    def answer_poll(self, poll_id: int, sid: str, answer: str, correct: bool | None = None) -> bool:
        """A student's answer to an open poll not yet revealed; False, and nothing written, for
        their second answer (one per student per poll), a closed or revealed poll, or a forgotten
        student. The caller checks what ``answer`` may be (``ui.poll``); it is kept to 200 characters."""
        if not self._present(sid):
            return False

        def work(conn):
            open_ = conn.execute(select(polls.c.id).where(polls.c.id == poll_id, polls.c.closed.is_(False),
                                                          polls.c.revealed_at.is_(None))).first()
            if open_ is None:
                return False
            conn.execute(insert(poll_answers).values(poll_id=poll_id, student_id=sid, answer=answer[:200],
                                                     correct=correct, at=time.time()))
            return True

        try:
            return self._write(work)
        except IntegrityError:  # answered already (from another tab, or a second click)
            return False

    def poll_answer(self, poll_id: int, sid: str) -> str | None:
        """This student's answer to the poll, or None."""
        return self._read(lambda conn: conn.execute(select(poll_answers.c.answer).where(
            poll_answers.c.poll_id == poll_id, poll_answers.c.student_id == sid)).scalar())

    def poll_tally(self, poll_id: int) -> list[tuple[str, bool | None, int]]:
        """The poll's answers counted, no names: (answer, whether it was right, how many), most first."""
        rows = self._read(lambda conn: conn.execute(
            select(poll_answers.c.answer, poll_answers.c.correct, func.count())
            .where(poll_answers.c.poll_id == poll_id)
            .group_by(poll_answers.c.answer, poll_answers.c.correct)).all())
        return sorted(((a, None if c is None else bool(c), n) for a, c, n in rows), key=lambda r: (-r[2], r[0]))

    def show_poll(self, poll_id: int) -> None:
        """The teacher shows the answers' distribution."""
        self._write(lambda conn: conn.execute(update(polls).where(polls.c.id == poll_id, polls.c.shown_at.is_(None))
                                              .values(shown_at=time.time())))

    def reveal_poll(self, poll_id: int) -> None:
        """The teacher reveals the result to everyone (the answers are shown too)."""
        now = time.time()
        self._write(lambda conn: conn.execute(update(polls).where(polls.c.id == poll_id, polls.c.revealed_at.is_(None))
                                              .values(revealed_at=now, shown_at=func.coalesce(polls.c.shown_at, now))))

    def polls(self) -> list[Poll]:
        """Every poll of the class, the latest first (the dashboard's per-poll view)."""
        rows = self._read(lambda conn: conn.execute(select(polls).order_by(polls.c.id.desc())).all())
        return [_poll(r) for r in rows]

    def named_answers(self, poll_id: int) -> list[tuple[Student, str, bool | None, float]]:
        """Who answered what, first answer first: for the teacher's dashboard only (names)."""
        rows = self._read(lambda conn: conn.execute(
            select(poll_answers, students.c.number, students.c.display_name)
            .join(students, students.c.id == poll_answers.c.student_id)
            .where(poll_answers.c.poll_id == poll_id).order_by(poll_answers.c.at)).all())
        return [(Student(r.student_id, r.number, r.display_name), r.answer, r.correct, r.at) for r in rows]

    # --- the runs in flight ----------------------------------------------------------------

    def run_started(self, key: str, sid: str, tag: str, server: str) -> None:
        """A run was queued (``key``: unique to it in the class)."""
        def work(conn):
            conn.execute(delete(live_runs).where(live_runs.c.key == key))
            conn.execute(insert(live_runs).values(key=key, student_id=sid, tag=tag, server=server, state="live",
                                                  started_at=time.time()))

        if self._present(sid):
            self._write(work)

    def run_ended(self, key: str) -> None:
        self._write(lambda conn: conn.execute(delete(live_runs).where(live_runs.c.key == key)))

    def interrupt_leftovers(self, server: str) -> int:
        """At this server's start: its runs still marked live were interrupted by its restart.
        Returns how many."""
        return self._write(lambda conn: conn.execute(
            update(live_runs).where(live_runs.c.server == server, live_runs.c.state == "live")
            .values(state="interrupted")).rowcount)

    def take_interrupted(self, sid: str) -> list[str]:
        """The tags of this student's interrupted runs, said once: read and deleted together."""
        where = (live_runs.c.student_id == sid, live_runs.c.state == "interrupted")
        keys = self._read(lambda conn: conn.execute(select(live_runs.c.key, live_runs.c.tag).where(*where)
                                                    .order_by(live_runs.c.started_at)).all())  # mostly none: no write
        said = []
        for key, tag in keys:  # two tabs at once: the one whose delete takes the row says it
            taken = delete(live_runs).where(live_runs.c.key == key)
            if self._write(lambda conn, taken=taken: conn.execute(taken).rowcount):
                said.append(tag)
        return said

    def size_bytes(self) -> int | None:
        """The database's size on disk (SQLite file and WAL; PostgreSQL's database size)."""
        if self.backend == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) if path.exists() else None
        from sqlalchemy import text

        return self._read(lambda conn: conn.execute(text("select pg_database_size(current_database())")).scalar())


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


class _WithoutWeights:
    """A row read without its weights column, as codec.decode_row expects one."""

    def __init__(self, row):
        self._row = row

    def __getattr__(self, name):
        return None if name == "weights" else getattr(self._row, name)


_store: Store | None = None
_store_lock = threading.Lock()
problem: str = ""  # why nothing is being saved, for the teacher's console and the students' note


def open_store(url: str) -> Store:
    """The store at ``url``; if it cannot be opened or written, one in memory, with ``saving``
    False and the reason said once in the console."""
    global problem
    try:
        store = Store(url)
        store._write(lambda conn: conn.execute(select(1)))  # a real round trip
        return store
    except Exception as err:  # noqa: BLE001 — read-only folder, full disk, wrong URL, server down
        problem = settings.hide_password(  # no password in the console, neither the URL's nor echoed by the error
            url, f"The class database {url} cannot be used ({type(err).__name__}: {first_line(err)}); "
                 f"nothing students do is being saved.")
        log.warning("%s", problem)
        return Store("sqlite://", saving=False)


def _forgotten(conn, sid: str) -> bool:
    """Whether this student asked to be forgotten (their id is kept for that, and nothing else)."""
    return conn.execute(select(forgotten.c.id).where(forgotten.c.id == sid)).first() is not None


def first_line(err: BaseException) -> str:
    """What the console says of a store's error: its first line (no traceback, no SQL dump)."""
    return (str(err).strip().splitlines() or [""])[0][:200]


def store() -> Store:
    """The process's class store, opened on first use from ``CNNLAB_DB``."""
    global _store
    with _store_lock:
        if _store is None:
            _store = open_store(settings.current().db or default_url())
        return _store


def reset_for_tests() -> None:
    global _store, problem
    with _store_lock:
        if _store is not None:
            _store.engine.dispose()
        _store, problem = None, ""
