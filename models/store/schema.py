"""The class store's tables, and the migrations that bring any older database up to them.

``MIGRATIONS[n]`` takes a database from version n to n + 1; ``migrate`` applies the missing ones
in one transaction each and records the version in ``schema_version``. A fresh database runs
them all. Times are seconds since the epoch (UTC), as floats, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

students = Table(
    "students", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the browser's token, hex
    Column("number", Integer, nullable=False, unique=True),  # "Student 7": the order of arrival in this class
    Column("display_name", String(40)),  # chosen by the student; None: "Student <number>"
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student_id", String(64), ForeignKey("students.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # the task's kind: "train", "comparison" …
    Column("tag", String(60), nullable=False),  # where it was started: "train", "demo.stride" …
    Column("label", String(200), nullable=False),
    Column("summary", Text, nullable=False),  # JSON: the results table's row
    Column("history", Text, nullable=False),  # JSON: the curves (a list of points, or of [label, point])
    Column("meta", Text, nullable=False),  # JSON: what is needed to use the weights (config, classes, …)
    Column("final_acc", Float),  # validation accuracy at the end (before version 3: a test-set probe)
    Column("best_acc", Float),  # the best of the validation curve (likewise)
    Column("test_acc", Float),  # the test set, measured once when the run ended (version 3)
    # what the curves and final_acc were measured on: "validation", or "test" (version 3)
    Column("heldout", String(12)),
    Column("seconds", Float),
    Column("created_at", Float, nullable=False),
    Column("weights", LargeBinary),  # safetensors; None once older than the latest few of the student
    Column("snapshots", LargeBinary),  # safetensors: what the network had learned at a few moments (version 2)
    # safetensors: the validation images' labels and predicted probabilities when the run ended (version 5)
    Column("evaluation", LargeBinary),
)
# The columns of bytes read one run at a time, never in a list of runs.
BLOBS = ("snapshots", "evaluation")

quiz_answers = Table(
    "quiz_answers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student_id", String(64), ForeignKey("students.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("lesson", String(40), nullable=False),
    Column("question", String(60), nullable=False),
    Column("given", String(400), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("seconds", Float),  # from the question shown to the answer checked
    Column("answered_at", Float, nullable=False),
)

pictures = Table(
    "pictures", metadata,
    Column("student_id", String(64), ForeignKey("students.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("saved_at", Float, nullable=False),
)


# A wrong teacher's key takes a turn of the class's one gate, shared by every app server: one turn
# a second, whichever server or session asks (models.store.teacher). One row per gate (version 4).
gates = Table(
    "gates", metadata,
    Column("name", String(40), primary_key=True),
    Column("next_at", Float, nullable=False),  # the earliest moment the next turn may start
)

# Each wrong key, when its turn was and from which address: the teacher's console says them too.
key_misses = Table(
    "key_misses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("address", String(64), nullable=False),
)

# Who asked to be forgotten: the SHA-256 of their old token, so that a second tab still holding
# it cannot bring them back (version 4). Nothing else is kept about them.
forgotten = Table(
    "forgotten", metadata,
    Column("id", String(64), primary_key=True),
    Column("at", Float, nullable=False),
)

# The runs in flight, written when one is queued and deleted when it ends (version 4). A row of
# this server still "live" when it starts again belongs to a run its restart interrupted: marked
# "interrupted", and said once to its student.
live_runs = Table(
    "live_runs", metadata,
    Column("key", String(160), primary_key=True),  # the server's name / the runner's job id
    Column("student_id", String(64), ForeignKey("students.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tag", String(60), nullable=False),
    Column("server", String(120), nullable=False, index=True),
    Column("state", String(12), nullable=False),  # "live", "interrupted"
    Column("started_at", Float, nullable=False),
)

TEACHER_GATE = "teacher_key"

# The teacher leading the class (version 6): one row, read by every student's tab about once a
# second (``ui.lead``), so that the lead lives in the store every app server shares, not in one
# process. ``version`` grows by one at every change: a tab follows when it sees a newer one.
lead = Table(
    "lead", metadata,
    Column("name", String(20), primary_key=True),  # LEAD_ROW: the class's one lead
    Column("leading", Boolean, nullable=False),
    Column("page", String(40)),  # the page the teacher shows (its url path); None: none yet
    Column("settings", Text, nullable=False),  # JSON: the page's kept settings, as its link writes them
    Column("step", Integer, nullable=False),  # the section on screen in presentation view
    Column("version", Integer, nullable=False),
    Column("changed_at", Float, nullable=False),
)
LEAD_ROW = "class"

# The class runs (version 7, ``models.store.class_runs``): a lesson's demo that the teacher
# started once for everyone. The app server that submitted it writes its state and its points
# here as they come (``beat``: when it last wrote); every student's tab, on whichever server,
# draws it from here. ``live`` is 1 while it is queued or running and NULL afterwards: unique, so
# the class has at most one live class run, whichever server or tab asks for a second.
class_runs = Table(
    "class_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag", String(60), nullable=False, index=True),  # the demo's key: "demo.degradation" …
    Column("kind", String(20), nullable=False),
    Column("state", String(12), nullable=False),  # "queued", "running", "done", "failed", "lost"
    Column("live", Integer, unique=True),  # 1 while queued or running; NULL once ended
    Column("server", String(120), nullable=False),  # the app server that submitted it
    Column("job_id", Integer),  # the runner's id of its job (on that server, or on the Ray scheduler)
    Column("stop", Boolean, nullable=False),  # the teacher asked to stop it
    Column("history", Text, nullable=False),  # JSON: the curves so far, as codec.encode_history writes them
    Column("summary", Text, nullable=False),  # JSON: the results table once done ({} before)
    Column("started_at", Float, nullable=False),
    Column("beat", Float, nullable=False),  # when its server last wrote: a silent one has gone (lost)
)

# The class polls (version 8, ``ui.poll``): while the teacher leads, a predict-before-reveal guess
# or a quiz question pushed to the class is a poll. ``key`` says what it asks ("arith.32.5.0.1.1",
# "quiz.pooling.pooled_size"); the current poll of a key is its latest one not ``closed`` (every
# poll is closed when the lead is switched on or off). A pushed quiz question's ``seed`` gives the
# whole class the same numbers. ``shown_at``: the teacher showed the answers' distribution;
# ``revealed_at``: the teacher revealed the result to everyone.
polls = Table(
    "polls", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(120), nullable=False, index=True),
    Column("seed", Integer),
    Column("closed", Boolean, nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("shown_at", Float),
    Column("revealed_at", Float),
)

# One answer per student per poll (the primary key): a guess (an option offered, or cleaned free
# text), or a pushed quiz question's answer with whether it was right.
poll_answers = Table(
    "poll_answers", metadata,
    Column("poll_id", Integer, ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    Column("student_id", String(64), ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("answer", String(200), nullable=False),
    Column("correct", Boolean),  # a quiz question's: right or wrong; a guess's: None
    Column("at", Float, nullable=False),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[students, runs, quiz_answers, pictures])


def _v2(conn: Connection) -> None:
    """The runs keep their snapshots (models.training.snapshots). A database created at version 2
    has the column already: _v1 creates the tables as they are now."""
    if "snapshots" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        kind = LargeBinary().compile(dialect=conn.dialect)  # BLOB on SQLite, BYTEA on PostgreSQL
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN snapshots {kind}"))


def _v3(conn: Connection) -> None:
    """Every run validates on a split of its training data and looks at the test set once, at the
    end (``test_acc``). Rows kept before were measured the old way, their curves and best on the
    test set: they keep their figures, labelled ``heldout = "test"``."""
    have = {c["name"] for c in inspect(conn).get_columns("runs")}
    if "test_acc" not in have:
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN test_acc {Float().compile(dialect=conn.dialect)}"))
    if "heldout" not in have:
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN heldout {String(12).compile(dialect=conn.dialect)}"))
    conn.execute(runs.update().where(runs.c.heldout.is_(None)).values(heldout="test"))


def _v4(conn: Connection) -> None:
    """The class's guards: the teacher key's gate and its misses, the forgotten students, the
    runs in flight. New tables only: nothing older changes."""
    metadata.create_all(conn, tables=[gates, key_misses, forgotten, live_runs])
    if conn.execute(select(gates.c.name).where(gates.c.name == TEACHER_GATE)).first() is None:
        conn.execute(gates.insert().values(name=TEACHER_GATE, next_at=0.0))


def _v5(conn: Connection) -> None:
    """A run keeps its final predictions on its validation images, made once in the run: the
    training lab's "what the network gets wrong" reads them instead of evaluating again for every
    tab that opens it. Rows kept before have none (the page evaluates those once per session)."""
    if "evaluation" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN evaluation {LargeBinary().compile(dialect=conn.dialect)}"))


def _v6(conn: Connection) -> None:
    """The teacher can lead the class (``ui.lead``): a table of one row, not leading. A new table
    only: nothing older changes."""
    metadata.create_all(conn, tables=[lead])
    if conn.execute(select(lead.c.name).where(lead.c.name == LEAD_ROW)).first() is None:
        conn.execute(lead.insert().values(name=LEAD_ROW, leading=False, page=None, settings="{}", step=0,
                                          version=0, changed_at=0.0))


def _v7(conn: Connection) -> None:
    """The teacher can start a lesson's demo once for the whole class (a class run). A new table
    only: nothing older changes."""
    metadata.create_all(conn, tables=[class_runs])


def _v8(conn: Connection) -> None:
    """The class answers together (class polls, ``ui.poll``). New tables only: nothing older changes."""
    metadata.create_all(conn, tables=[polls, poll_answers])


# MIGRATIONS[n]: version n → n + 1; a later change of the schema appends a function here
MIGRATIONS = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8]
VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def migrate(engine) -> int:
    """Bring the database to ``VERSION``; returns the version it was at."""
    with engine.begin() as conn:
        schema_version.create(conn, checkfirst=True)
        found = current_version(conn)
        if found > VERSION:
            raise RuntimeError(f"the class database is at version {found}, newer than this app's {VERSION}")
    for version in range(found, VERSION):
        with engine.begin() as conn:  # one transaction per step: a crash leaves a whole version
            MIGRATIONS[version](conn)
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=version + 1))
    return found
