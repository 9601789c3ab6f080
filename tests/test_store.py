"""The class store against real databases: SQLite always, PostgreSQL when one is given.

``CNNLAB_TEST_POSTGRES`` is a PostgreSQL URL (``.ci/run`` starts a throwaway cluster with
``pg_virtualenv`` on 127.0.0.1 and sets it); without it the PostgreSQL half is skipped, unless
``CNNLAB_REQUIRE_POSTGRES=1``, where that is a failure. Every test gets an empty database.
"""

import csv
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import torch
from sqlalchemy import create_engine, select, text, update

from models.store import database, names, schema
from models.store.codec import StoredRowError
from models.store.schema import runs as runs_table
from models.training import train
from models.training.train import TrainConfig
from tests.support import eventually

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("CNNLAB_TEST_POSTGRES", "")


def _postgres_url() -> str:
    if not POSTGRES:
        if os.environ.get("CNNLAB_REQUIRE_POSTGRES") == "1":
            pytest.fail("CNNLAB_TEST_POSTGRES is not set; .ci/run starts PostgreSQL with pg_virtualenv")
        pytest.skip("no PostgreSQL (set CNNLAB_TEST_POSTGRES, as .ci/run does)")
    name = f"cnnlab_{uuid.uuid4().hex[:12]}"  # a database of this test's own
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.sqlite'}"
    return _postgres_url()


def taken_back(url: str, version: int, *tables: str) -> database.Student:
    """A store at ``url`` with one student, taken back to ``version`` by dropping the ``tables`` it
    lacked (the dependent first); returns the student, to be found again after the migration."""
    store = database.Store(url)
    alice = store.arrive(database.new_token())
    with store.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(schema.schema_version.update().values(version=version))
    store.engine.dispose()
    return alice


@pytest.fixture
def store(url):
    s = database.Store(url)
    yield s
    s.engine.dispose()


@pytest.fixture(scope="module")
def trained():
    return train.train(TrainConfig(epochs=1, train_size=256, batch_size=64), torch.device("cpu"))


def test_a_student_is_known_by_the_hash_of_their_token_only(store):
    token = database.new_token()
    alice = store.arrive(token)
    assert store.arrive(token) == alice and alice.name == "Student 1"
    assert alice.id == database.student_id(token) and token not in alice.id
    bob = store.arrive(database.new_token())
    assert bob.number == 2 and bob.id != alice.id
    assert database.TOKEN.match(token) and len(token) == 43  # 256 random bits


def test_a_name_is_cleaned_and_capped_and_forget_me_deletes_everything(store, trained):
    alice = store.arrive(database.new_token())
    assert store.rename(alice.id, "  Ada \n <b>Lovelace</b> " + "x" * 80).name.startswith("Ada <b>Lovelace</b> x")
    assert len(store.student(alice.id).name) == names.NAME_LENGTH
    store.save_run(alice.id, "train", "train", trained)
    store.save_answer(alice.id, "conv_arithmetic", "q1", "3", True, 4.2)
    store.keep_picture(alice.id, "me.png", b"\x89PNG")
    store.forget(alice.id)
    assert store.student(alice.id) is None and store.runs(alice.id) == ([], [])
    assert store.answers(alice.id) == [] and store.picture(alice.id) is None


def test_a_name_that_imitates_another_student_is_refused_and_an_invisible_one_too(store):
    one, two = store.arrive(database.new_token()), store.arrive(database.new_token())
    for imitation in ("Student\u200b 1", "\u202eStudent 1", "Ｓｔｕｄｅｎｔ １", "student  #1", "학생 1"):
        with pytest.raises(names.NameRefused) as refused:
            store.rename(two.id, imitation)
        assert refused.value.code == "like_default", imitation
    with pytest.raises(names.NameRefused, match="nothing visible"):
        store.rename(two.id, "\u200b\u202e\u3164\u2060")
    assert store.rename(one.id, "Ada\u200b Love\u202elace").name == "Ada Lovelace"
    with pytest.raises(names.NameRefused) as refused:
        store.rename(two.id, "ADA  lovelace\u200d")
    assert refused.value.code == "taken"
    assert store.student(two.id).name == "Student 2"  # a refused name changes nothing
    assert store.rename(two.id, "Student 2").display_name is None  # their own default: no name of their own
    # a row stored before names were cleaned reads as its student's own default, never another's
    with store.engine.begin() as conn:
        conn.execute(update(database.students).where(database.students.c.id == two.id)
                     .values(display_name="Student\u200b 1"))
    assert store.student(two.id).name == "Student 2"


def test_the_teachers_three_csv_files_neutralise_formulas_and_keep_numbers(store):
    attacks = ['=HYPERLINK("http://x.example","hi")', "+1", "-1+1", "@SUM(A1:A2)"]
    students = [store.arrive(database.new_token()) for _ in attacks]
    for student, attack in zip(students, attacks):
        store.rename(student.id, attack)
        store.save_run(student.id, "task", "optimizer_race", label="\tx", summary={"val acc": -0.25, "time (s)": 3})
        store.save_answer(student.id, "conv_arithmetic", "out", "\rx", False, -1.5)
    files = {name: list(csv.reader(io.StringIO(data.decode(), newline="")))
             for name, data in store.export_csv().items()}
    assert [row[0] for row in files["students.csv"][1:]] == ["'" + attack for attack in attacks]
    assert [row[1] for row in files["students.csv"][1:]] == ["1", "2", "3", "4"]  # numbers, as numbers
    for row in files["runs.csv"][1:]:
        assert row[0] in ["'" + attack for attack in attacks] and row[3] == "'\tx"
        assert (row[4], row[8]) == ("-0.25", "3")  # a negative number is not text: no quote in front
    for row in files["quiz_answers.csv"][1:]:
        assert row[0] in ["'" + attack for attack in attacks] and row[3] == "'\rx" and row[5] == "-1.5"
    cells = [cell for rows in files.values() for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "@", "\t", "\r", "+")]
    assert [cell for cell in cells if cell[:1] == "-"] == ["-0.25"] * 4 + ["-1.5"] * 4


def test_a_run_comes_back_whole_with_its_weights(store, trained):
    alice = store.arrive(database.new_token())
    run_id = store.save_run(alice.id, "train", "train", trained)
    (stored,), skipped = store.runs(alice.id, tag="train")
    assert skipped == [] and stored.id == run_id and stored.label == trained.label
    assert stored.summary == trained.summary() and stored.history == trained.history
    assert stored.weights is None  # the list leaves the weights out
    again = store.run_with_weights(alice.id, run_id).result()
    assert again.config == trained.config and again.classes == trained.classes
    for name, tensor in trained.state_dict.items():
        assert torch.equal(again.state_dict[name], tensor), name
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(train.predict(train.restore(again), x), train.predict(train.restore(trained), x))


def test_a_runs_snapshots_are_kept_with_it_and_only_for_its_student(store, trained):
    alice, bob = store.arrive(database.new_token()), store.arrive(database.new_token())
    run_id = store.save_run(alice.id, "train", "train", trained)
    back = store.snapshots(alice.id, run_id)
    assert [s.step for s in back] == [s.step for s in trained.snapshots] and len(back) >= 2
    assert torch.allclose(back[-1].filters, trained.snapshots[-1].filters, atol=1e-3)
    assert store.snapshots(bob.id, run_id) == []  # another student's run: nothing
    with store.engine.begin() as conn:  # damaged: said in the console, not shown
        conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(snapshots=b"garbage"))
    assert store.snapshots(alice.id, run_id) == []


def test_only_the_latest_three_runs_keep_their_weights(store, trained):
    alice = store.arrive(database.new_token())
    ids = [store.save_run(alice.id, "train", "train", trained) for _ in range(5)]
    assert store.weights_kept(alice.id) == set(ids[-database.KEEP_WEIGHTS:])
    assert len(store.runs(alice.id)[0]) == 5  # every run keeps its row and curves


def test_no_student_sees_another_students_data(store, trained):
    alice, bob = store.arrive(database.new_token()), store.arrive(database.new_token())
    run_id = store.save_run(alice.id, "train", "train", trained)
    store.save_answer(alice.id, "quiz", "q", "a", False, None)
    assert store.runs(bob.id) == ([], []) and store.answers(bob.id) == []
    assert store.run_with_weights(bob.id, run_id) is None  # knowing the run's number is not enough


def test_a_tampered_row_is_skipped_with_a_note_and_never_executed(store, trained):
    alice = store.arrive(database.new_token())
    good = store.save_run(alice.id, "train", "train", trained)
    bad = store.save_run(alice.id, "train", "train", trained)
    with store.engine.begin() as conn:
        conn.execute(update(runs_table).where(runs_table.c.id == bad).values(history="{not json"))
        conn.execute(update(runs_table).where(runs_table.c.id == good).values(weights=b"\x80\x04pickle?"))
    stored, skipped = store.runs(alice.id)
    assert [r.id for r in stored] == [good] and len(skipped) == 1 and f"run {bad}" in skipped[0]
    with pytest.raises(StoredRowError):
        store.run_with_weights(alice.id, good).result()


def test_a_student_is_stored_only_when_they_first_do_something(store):
    # a script opening connection after connection: each a new cookie, none doing anything
    idle = [database.student_id(database.new_token()) for _ in range(50)]
    assert all(store.standing(sid) == database.Student(sid, 0, None) for sid in idle)
    store.seen(idle[0])  # "here, still" writes no row either
    assert store.class_students() == []
    store.save_answer(idle[1], "quiz", "q", "a", True, 1.0)  # the first thing done: an answer
    store.keep_picture(idle[2], "me.png", b"\x89PNG")  # an upload
    store.rename(idle[3], "Ada")  # a name
    store.visit(idle[4])  # a run (ui.runs enrols the student before submitting)
    assert [s.id for s, _ in store.class_students()] == idle[1:5]
    assert [store.standing(sid).number for sid in idle[1:5]] == [1, 2, 3, 4]


def test_a_forgotten_student_is_never_stored_again_whoever_still_holds_their_token(store, trained):
    alice = store.arrive(database.new_token())
    store.save_answer(alice.id, "quiz", "q", "a", True, 1.0)
    store.run_started("here:8501/1", alice.id, "train", "here:8501")
    store.forget(alice.id)  # in one tab …
    # … while a second tab of hers, holding the old token, answers, uploads, renames, trains
    store.save_answer(alice.id, "quiz", "q2", "b", True, 1.0)
    store.keep_picture(alice.id, "me.png", b"\x89PNG")
    assert store.rename(alice.id, "Alice").number == 0
    assert store.save_run(alice.id, "train", "train", trained) == 0
    store.run_started("here:8501/2", alice.id, "train", "here:8501")
    assert store.visit(alice.id) is None and store.standing(alice.id) is None and store.is_forgotten(alice.id)
    assert store.class_students() == [] and store.answers(alice.id) == [] and store.picture(alice.id) is None
    assert store.runs(alice.id) == ([], []) and store.take_interrupted(alice.id) == []
    store.reset_class()  # a new class does not bring her back either
    assert store.visit(alice.id) is None


def test_the_teacher_key_gate_gives_the_class_one_turn_a_second_across_servers(url):
    one, two = database.Store(url), database.Store(url)  # two app servers on one class store
    turns, lock = [], threading.Lock()

    def ask(store):
        turn = store.take_turn(schema.TEACHER_GATE, 1.0, 5.0)
        with lock:
            turns.append(turn)

    askers = [threading.Thread(target=ask, args=(one if i % 2 else two,)) for i in range(10)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join()
    given = sorted(t for t in turns if t is not None)
    assert 5 <= len(given) <= 6 and turns.count(None) == 10 - len(given)  # booked 5 s ahead at most
    assert all(b - a >= 1.0 - 1e-6 for a, b in itertools.pairwise(given))  # one a second, whichever server
    one.note_miss(given[0], "10.0.0.7")
    assert two.misses() == [(given[0], "10.0.0.7")]
    one.engine.dispose()
    two.engine.dispose()


def test_a_run_in_flight_when_its_server_restarts_is_said_once_to_its_student(url):
    store = database.Store(url)
    ada, bob = store.arrive(database.new_token()), store.arrive(database.new_token())
    store.run_started("a:8501/1", ada.id, "train", "a:8501")
    store.run_started("a:8501/2", bob.id, "demo.stride", "a:8501")
    store.run_started("b:8501/1", bob.id, "train", "b:8501")  # on another app server, which goes on
    store.run_ended("a:8501/2")  # Bob's lesson task ended before the restart
    store.engine.dispose()
    again = database.Store(url)  # server a starts again
    assert again.interrupt_leftovers("a:8501") == 1
    assert again.take_interrupted(bob.id) == []  # his run on b is still live
    assert again.take_interrupted(ada.id) == ["train"]
    assert again.take_interrupted(ada.id) == []  # said once
    again.engine.dispose()


def test_the_local_runner_writes_its_runs_in_flight_and_a_restart_finds_the_interrupted_one(url):
    from models.store.journal import StoreJournal
    from models.store.schema import live_runs
    from models.training.jobs import JobRunner, JobState

    store = database.Store(url)
    ada, bob, cy = (store.arrive(database.new_token()) for _ in range(3))
    release = threading.Event()

    def hold(task, device, report, should_stop):
        while not release.is_set() and not should_stop():
            release.wait(0.01)
        return "done"

    journal = StoreJournal(store, "here:8501")
    runner = JobRunner(max_running=1, device=torch.device("cpu"), train_fn=hold, journal=journal)
    running = runner.submit(ada.id, TrainConfig(), tag="train")
    queued = runner.submit(bob.id, TrainConfig(), tag="demo.stride")
    runner.cancel(queued)  # ended before it started: no longer in flight
    journal.flush()
    with store.engine.connect() as conn:
        assert conn.execute(select(live_runs.c.student_id, live_runs.c.state)).all() == [(ada.id, "live")]
    # the server is killed here, Ada's run with it; it starts again, on the same store
    restarted = database.Store(url)
    StoreJournal(restarted, "here:8501", interrupt_leftovers=True)
    assert restarted.take_interrupted(bob.id) == [] and restarted.take_interrupted(ada.id) == ["train"]
    release.set()
    finished = JobRunner(device=torch.device("cpu"), train_fn=hold, journal=journal).submit(cy.id, TrainConfig())
    eventually(lambda: finished.state is JobState.DONE and running.state is JobState.DONE)
    journal.flush()
    with store.engine.connect() as conn:
        assert conn.execute(select(live_runs.c.key)).all() == []  # a run that ends is no longer in flight
    for s in (store, restarted):
        s.engine.dispose()


def test_a_version_3_database_gains_the_guards_and_keeps_its_class(url):
    store = database.Store(url)
    alice = store.arrive(database.new_token())
    with store.engine.begin() as conn:  # back to version 3: no gate, no forgotten, no runs in flight
        for table in ("live_runs", "forgotten", "key_misses", "gates"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(schema.schema_version.update().values(version=3))
    store.engine.dispose()
    again = database.Store(url)
    assert again.student(alice.id) == alice
    assert again.take_turn(schema.TEACHER_GATE, 1.0, 5.0) is not None
    again.forget(alice.id)
    assert again.is_forgotten(alice.id)
    again.engine.dispose()


def test_the_teachers_view_sums_up_the_class(store, trained):
    alice, bob = store.arrive(database.new_token()), store.arrive(database.new_token())
    store.rename(bob.id, "Bob")
    store.save_run(alice.id, "train", "train", trained)
    for sid, given, right in ((alice.id, "7", False), (bob.id, "7", False), (bob.id, "5", True)):
        store.save_answer(sid, "conv_arithmetic", "out", given, right, 3.0)
    store.save_answer(alice.id, "conv_arithmetic", "params", "304", True, 9.0)
    (who, run), = store.class_runs()
    assert who.name == "Student 1" and run.summary["val acc"] == round(trained.final_val_acc, 4)
    by_question = {q["question"]: q for q in store.quiz_summary()}
    assert by_question["out"] == {"lesson": "conv_arithmetic", "question": "out", "answered": 2, "right": 1,
                                  "common_wrong": "7", "common_wrong_count": 1}  # Bob's latest answer is right
    # an answer stored as the choice's text (before choice ids) and one stored as its id are one answer
    carol, dave = store.arrive(database.new_token()), store.arrive(database.new_token())
    store.save_answer(carol.id, "pooling", "q", "an old text", False, 1.0)
    store.save_answer(dave.id, "pooling", "q", "c1", False, 1.0)
    same = {"an old text": "c1"}
    summary = store.quiz_summary(same=lambda lesson, q, given: same.get(given, given))
    (pooled,) = [q for q in summary if q["question"] == "q"]
    assert pooled["common_wrong"] == "c1" and pooled["common_wrong_count"] == 2
    files = store.export_csv()
    assert b"Bob" in files["students.csv"] and b"304" in files["quiz_answers.csv"]
    assert trained.label.encode() in files["runs.csv"]
    store.reset_class()
    assert store.class_students() == [] and store.quiz_summary() == []
    store.save_answer(alice.id, "quiz", "q", "a", True, None)  # a student still on the page comes back, as new
    assert [s.number for s, _ in store.class_students()] == [1]


def test_thirty_students_writing_at_once_lose_nothing(store, trained):
    students = [store.arrive(database.new_token()) for _ in range(30)]
    errors = []

    def work(student):
        try:
            store.save_run(student.id, "train", "train", trained)
            for i in range(5):
                store.save_answer(student.id, "quiz", f"q{i}", "x", i % 2 == 0, 1.0)
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(len(store.runs(s.id)[0]) for s in students) == 30
    assert sum(len(store.answers(s.id)) for s in students) == 150


WRITER = """
import sys
from models.store import database
store = database.Store(sys.argv[1])
for i in range(40):
    student = store.arrive(database.new_token())
    store.save_answer(student.id, "quiz", "q", str(i), True, 0.1)
"""


@pytest.mark.slow  # processes of their own, each importing torch
def test_two_server_processes_share_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    database.Store(url).engine.dispose()  # created and migrated once
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()[-2000:]
    store = database.Store(url)
    assert len(store.class_students()) == 80 and len({s.number for s, _ in store.class_students()}) == 80


def test_a_database_that_cannot_be_written_gives_a_working_store_that_says_so(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the database's folder should be")  # unwritable, even for root
    store = database.open_store(f"sqlite:///{blocked / 'class.sqlite'}")
    assert not store.saving and "nothing students do is being saved" in database.problem
    assert store.arrive(database.new_token()).number == 1  # the app goes on, in memory


def test_a_server_that_does_not_answer_gives_a_working_store_that_says_so():
    store = database.open_store("postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=2")
    assert not store.saving and "secret" not in database.problem and "***" in database.problem
    assert store.arrive(database.new_token()).number == 1


def test_a_database_file_that_is_not_one_gives_a_working_store(tmp_path):
    path = tmp_path / "class.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = database.open_store(f"sqlite:///{path}")
    assert not store.saving


def test_a_version_1_database_gains_the_snapshots_column_and_keeps_its_runs(url, trained):
    store = database.Store(url)
    alice = store.arrive(database.new_token())
    run_id = store.save_run(alice.id, "train", "train", trained)
    with store.engine.begin() as conn:  # back to version 1: the runs table as it was before snapshots
        conn.execute(text("ALTER TABLE runs DROP COLUMN snapshots"))
        conn.execute(schema.schema_version.update().values(version=1))
    store.engine.dispose()
    again = database.Store(url)  # the app starting on the old database migrates it
    with again.engine.connect() as conn:
        assert schema.current_version(conn) == schema.VERSION
    (stored,), _ = again.runs(alice.id, tag="train")
    assert stored.id == run_id and stored.summary == trained.summary()
    assert again.snapshots(alice.id, run_id) == []  # kept nothing before; a new run keeps its own
    assert len(again.snapshots(alice.id, again.save_run(alice.id, "train", "train", trained))) >= 2
    again.engine.dispose()


def test_a_version_2_database_keeps_its_old_runs_labelled_as_measured_on_the_test_set(url, trained):
    """Before version 3 a run's curves, "final acc" and "best acc" were measured on the test set."""
    import json

    store = database.Store(url)
    alice = store.arrive(database.new_token())
    run_id = store.save_run(alice.id, "train", "train", trained)
    old_summary = {k: v for k, v in trained.summary().items() if k not in ("val acc", "best val acc", "test acc")}
    old_summary |= {"final acc": 0.71, "best acc": 0.75}
    old_history = [{**{k: v for k, v in vars(p).items() if k not in ("val_acc", "snapshot")}, "test_acc": 0.5 + i / 100,
                    "val_acc": None} for i, p in enumerate(trained.history)]
    with store.engine.begin() as conn:  # the row as version 2 wrote it, the table as it was
        conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(
            summary=json.dumps(old_summary), history=json.dumps(old_history)))
        conn.execute(text("ALTER TABLE runs DROP COLUMN test_acc"))
        conn.execute(text("ALTER TABLE runs DROP COLUMN heldout"))
        conn.execute(schema.schema_version.update().values(version=2))
    store.engine.dispose()
    again = database.Store(url)  # the app starting on the old database migrates it
    (stored,), _ = again.runs(alice.id, tag="train")
    assert stored.heldout == "test"
    assert stored.summary["test acc"] == 0.71  # measured once, at the end: a test accuracy
    assert stored.summary["val acc"] is None and "best acc" not in stored.summary  # the best of test probes: dropped
    assert [p.val_acc for p in stored.history] == [0.5 + i / 100 for i in range(len(trained.history))]
    new_id = again.save_run(alice.id, "train", "train", trained)
    rows = {r.id: r for _, r in again.class_runs()}
    assert rows[new_id].heldout == "validation" and rows[new_id].summary["test acc"] == round(trained.test_acc, 4)
    exported = again.export_csv()["runs.csv"].decode()
    assert "curves measured on" in exported.splitlines()[0]
    assert sorted(line.split(",")[7] for line in exported.splitlines()[1:3]) == ["test", "validation"]
    again.engine.dispose()


def test_migrations_bring_an_empty_database_to_the_current_version(url):
    engine = create_engine(url)
    assert schema.migrate(engine) == 0
    assert schema.migrate(engine) == schema.VERSION  # nothing left to do
    with engine.begin() as conn:
        conn.execute(schema.schema_version.update().values(version=schema.VERSION + 1))
    with pytest.raises(RuntimeError, match="newer than this app"):
        schema.migrate(engine)
    engine.dispose()


FOREVER = """
import sys
from models.store import database
store = database.Store(sys.argv[1])
student = store.arrive("x" * 43)
print("writing", flush=True)
i = 0
while True:
    store.save_answer(student.id, "quiz", "q", str(i), True, 0.1)
    i += 1
"""


@pytest.mark.slow  # a process of its own, writing for a while
def test_a_server_killed_in_the_middle_of_writing_loses_at_most_that_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'class.sqlite'}"
    proc = subprocess.Popen([sys.executable, "-c", FOREVER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    import time

    time.sleep(1.5)
    proc.kill()  # SIGKILL, mid-write
    proc.wait(timeout=30)
    store = database.Store(url)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    given = [int(a.given) for a in store.answers(database.student_id("x" * 43))]
    assert given and given == list(range(len(given)))  # every write before the kill, none torn


def test_the_class_is_still_there_when_the_server_starts_again(url):
    first = database.Store(url)
    token = database.new_token()
    first.rename(first.arrive(token).id, "Ada")
    first.engine.dispose()  # the server stops
    again = database.Store(url)  # and starts again
    assert again.arrive(token).name == "Ada"
    again.engine.dispose()


def test_a_database_that_fails_during_the_class_is_said_on_the_page_not_raised(open_page, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(database.Store, "runs", gone)
    at = open_page("training_lab", lang="ko")
    assert not at.exception
    assert any("수업 데이터베이스가 응답하지 않아" in w.value for w in at.warning)


# --- the class runs (models.store.class_runs) ------------------------------------------------

def test_the_class_has_one_live_class_run_its_server_writes_and_its_result_is_kept_once(url, trained):
    from models.store import codec

    store = database.Store(url)
    points = [("7×7", p) for p in trained.history]
    first = store.claim_class_run("demo.stack", "comparison", "a:8501")
    assert first and store.claim_class_run("demo.degradation", "comparison", "b:8501") is None  # one for the class
    assert store.class_run("demo.stack").state == "queued" and store.class_run(live=True).id == first
    assert store.class_run("demo.degradation") is None  # another demo's page shows none
    assert store.class_run_progress(first, "running", 4, points[:2]) is False  # no Stop asked
    seen = store.class_run("demo.stack")
    assert seen.live and seen.job_id == 4 and codec.encode_history(seen.history) == codec.encode_history(points[:2])
    store.stop_class_run(first)  # the teacher's Stop, on any server: the running server reads it at its beat
    assert store.class_run_progress(first, "running", history=points) is True
    results = {"runs": {"7×7": trained.summary()}}
    assert store.finish_class_run(first, "done", points, results)
    assert not store.finish_class_run(first, "done", [], {})  # kept once: a second save changes nothing
    done = store.class_run("demo.stack")
    assert not done.live and done.summary == json.loads(json.dumps(results)) and len(done.history) == len(points)
    assert store.class_run_progress(first, "running") is None  # ended: a late beat is told to stop
    again = store.claim_class_run("demo.stack", "comparison", "b:8501")  # after the end, another may start
    assert store.class_run("demo.stack").id == again  # the live one before the stored one
    assert store.finish_class_run(again, "failed", [], {})
    assert store.class_run("demo.stack").id == first  # a failed run leaves the last good one shown
    store.engine.dispose()


def test_a_class_run_whose_server_went_silent_is_lost_and_blocks_no_other(url):
    store = database.Store(url)
    silent = store.claim_class_run("demo.stack", "comparison", "a:8501")
    with store.engine.begin() as conn:  # its server died LOST_AFTER_S ago
        conn.execute(update(schema.class_runs).values(beat=time.time() - database.LOST_AFTER_S - 1))
    assert store.class_run("demo.stack") is None and store.class_run(live=True) is None
    fresh = store.claim_class_run("demo.stack", "comparison", "b:8501")
    assert fresh and store.class_run(live=True).id == fresh
    assert store.class_run_progress(silent, "running") is None  # a server that comes back stops it
    store.reset_class()  # a new class: its class runs go too
    assert store.class_run("demo.stack") is None and store.claim_class_run("demo.stack", "comparison", "a")
    store.engine.dispose()


def test_two_servers_starting_a_class_run_at_the_same_moment_start_one(url):
    stores = [database.Store(url) for _ in range(4)]  # four servers' engines on one class store
    barrier, claimed = threading.Barrier(len(stores)), []

    def claim(store) -> None:
        barrier.wait()
        claimed.append(store.claim_class_run("demo.degradation", "comparison", f"{id(store)}"))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(c is not None for c in claimed) == 1, claimed
    for s in stores:
        s.engine.dispose()


def test_a_class_run_is_submitted_once_relayed_to_the_store_and_saved_once(url, trained):
    """The relay of the server that submitted it, with a real runner: its points reach the store as
    they come, the teacher's Stop (written by any server) stops it, and its result is kept."""
    from models.store import class_runs
    from models.training.jobs import JobRunner
    from models.training.tasks import Comparison

    store = database.Store(url)
    reported = threading.Event()

    def train_fn(task, device, report, should_stop):  # a comparison that reports, then waits for Stop
        for point in trained.history:
            report(("7×7", point))
        reported.set()
        while not should_stop():
            time.sleep(0.01)
        return {"7×7": trained}

    runner = JobRunner(max_running=1, device=torch.device("cpu"), train_fn=train_fn, per_address=1)
    task = Comparison((("7×7", TrainConfig(epochs=1, train_size=256)),), time_limit_s=30)
    run_id = class_runs.start(store, runner, "demo.stack", task, "here:8501")
    (job,) = runner.live_jobs()
    assert job.owner == database.CLASS and job.address is None  # no student's limit, no address's
    with pytest.raises(class_runs.ClassRunBusy):
        class_runs.start(store, runner, "demo.stack", task, "here:8501")
    assert runner.live_jobs() == [job]  # one place in the queue
    eventually(lambda: len(store.class_run("demo.stack").history) == len(trained.history))
    assert store.class_run(live=True).job_id == job.id
    store.stop_class_run(run_id)
    eventually(lambda: runner.held() == 0)  # collected by the relay: the runner holds nothing
    with store.engine.connect() as conn:  # kept, but as stopped: a stopped run is no finished one
        row = conn.execute(select(schema.class_runs).where(schema.class_runs.c.id == run_id)).one()
    assert row.state == "stopped" and row.live is None
    assert json.loads(row.summary)["runs"]["7×7"]["val acc"] == trained.summary()["val acc"]
    assert store.class_run("demo.stack") is None and store.class_run() is None  # the page shows the recorded run
    assert store.class_students() == []  # the class's owner is no student
    store.engine.dispose()


def test_a_class_run_is_done_only_when_every_run_finished_and_none_was_stopped(url, trained):
    """``class_runs.outcome``: a whole comparison is "done" and is the class's run; one that lacks
    a label's result, or whose job was cancelled (Stop, a reset, the server shutting down), is
    "stopped" and is never shown in place of the recorded run."""
    from models.store import class_runs
    from models.training.jobs import JobRunner
    from models.training.tasks import Comparison

    store = database.Store(url)
    labels = ("plain-20", "plain-56")
    task = Comparison(tuple((label, TrainConfig(epochs=1, train_size=256)) for label in labels), time_limit_s=30)
    given: list[dict] = []  # what the next job's training returns

    def train_fn(task, device, report, should_stop):
        for point in trained.history:
            report((labels[0], point))
        return given.pop()

    runner = JobRunner(max_running=1, device=torch.device("cpu"), train_fn=train_fn, per_address=1)
    for results, state in (({labels[0]: trained}, "stopped"), (dict.fromkeys(labels, trained), "done")):
        given.append(results)
        run_id = class_runs.start(store, runner, "demo.degradation", task, "here:8501")
        eventually(lambda: runner.held() == 0)
        with store.engine.connect() as conn:
            row = conn.execute(select(schema.class_runs).where(schema.class_runs.c.id == run_id)).one()
        assert row.state == state and row.live is None and json.loads(row.summary)["runs"]
        shown = store.class_run("demo.degradation")
        assert (shown and shown.id) == (run_id if state == "done" else None)
    done = store.class_run("demo.degradation")
    given.append(dict.fromkeys(labels, trained))  # the whole result, but the server shut down
    job = runner.submit(database.CLASS, task, tag="demo.degradation")
    eventually(lambda: not job.live)
    job.cancel_event.set()  # as runner.shutdown() sets it
    assert class_runs.outcome(job)[0] == "stopped"
    runner.collect(job)
    assert store.class_run("demo.degradation").id == done.id  # the finished one stays the class's
    store.engine.dispose()
