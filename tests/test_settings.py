"""Every setting read in one place: defaults, bad values said once, the README's table."""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from models import settings
from models.store import database

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_reads_a_cnnlab_variable_but_the_settings_module():
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or path.parts[-2:] == ("models", "settings.py") or "tests" in path.parts \
                or "bench" in path.parts:
            continue
        text = path.read_text()
        assert not re.search(r"environ(\.get)?\(?\[?[\"']CNNLAB_", text), path
        assert not re.search(r"getenv\([\"']CNNLAB_", text), path


def test_defaults_without_any_variable():
    s = settings.read({})
    assert (s.device, s.offline, s.max_runs, s.max_queue, s.max_run_seconds, s.inference) == \
           (None, False, 1, 4, 60.0, "onnxruntime")
    assert s.threads >= 1 and s.data.name == "data" and s.problems == ()


def test_good_values_are_parsed():
    s = settings.read({"CNNLAB_MAX_RUNS": "3", "CNNLAB_MAX_QUEUE": "0", "CNNLAB_MAX_RUN_SECONDS": "90.5",
                       "CNNLAB_OFFLINE": "yes", "CNNLAB_DEVICE": "CUDA:1", "CNNLAB_INFERENCE": "torch",
                       "CNNLAB_DATA": "/srv/data", "CNNLAB_THREADS": "6"})
    assert (s.max_runs, s.max_queue, s.max_run_seconds, s.offline, s.device, s.inference, str(s.data), s.threads) == \
           (3, 0, 90.5, True, "cuda:1", "torch", "/srv/data", 6)
    assert s.problems == ()


@pytest.mark.parametrize("variable, text, field", [
    ("CNNLAB_MAX_RUNS", "abc", "max_runs"), ("CNNLAB_MAX_RUNS", "0", "max_runs"),
    ("CNNLAB_MAX_QUEUE", "-1", "max_queue"), ("CNNLAB_MAX_RUN_SECONDS", "nan", "max_run_seconds"),
    ("CNNLAB_OFFLINE", "maybe", "offline"), ("CNNLAB_INFERENCE", "tensorrt", "inference"),
    ("CNNLAB_DEVICE", "gpu0", "device"),
])
def test_a_bad_value_gives_the_default_and_one_sentence_naming_it(variable, text, field):
    s = settings.read({variable: text})
    assert getattr(s, field) == getattr(settings.read({}), field)
    (problem,) = s.problems
    assert problem.startswith(f"{variable}={text!r} is not ") and "using the default" in problem


def test_a_bad_value_is_said_once_in_the_console(monkeypatch, caplog):
    monkeypatch.setenv("CNNLAB_MAX_QUEUE", "lots")
    with caplog.at_level(logging.WARNING, logger="cnnlab.settings"):
        for _ in range(3):
            assert settings.current().max_queue == 4
    assert [r.getMessage() for r in caplog.records].count(
        "CNNLAB_MAX_QUEUE='lots' is not a whole number of at least 0; using the default (4).") == 1


def test_the_check_command_fails_on_a_bad_value():
    env = {"PATH": "/usr/bin:/bin", "CNNLAB_MAX_RUNS": "abc"}
    out = subprocess.run([sys.executable, "-m", "models.settings"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "CNNLAB_MAX_RUNS='abc'" in out.stderr
    assert "CNNLAB_MAX_RUNS = 1" in out.stdout


def test_the_readme_configuration_table_is_the_settings_list():
    readme = (ROOT / "README.md").read_text()
    assert settings.markdown_table() in readme, "run `python -m models.settings --markdown` and paste it"


def test_a_refused_database_url_or_teacher_key_is_never_printed(monkeypatch, caplog, capsys):
    password, key = "pa@ss-w0rd-42", "shh-42"  # an unescaped "@": a URL parser reads "ss-w0rd-42@…" as the host
    monkeypatch.setenv("CNNLAB_DB", f"mysql://teacher:{password}@db.school/class")
    monkeypatch.setenv("CNNLAB_TEACHER_KEY", key)
    monkeypatch.setattr(database, "problem", "")
    with caplog.at_level(logging.INFO):
        refused = settings.current()
        assert settings.main([]) == 1  # the check command: the settings in force, then the refused ones
        monkeypatch.setenv("CNNLAB_DB", f"postgresql+psycopg://teacher:{password}@127.0.0.1:1/class")
        monkeypatch.setenv("CNNLAB_TEACHER_KEY", key * 3)
        assert settings.main([]) == 0  # accepted, and printed
        database.open_store(settings.current().db)  # nothing listens on port 1: said in the console
    printed = capsys.readouterr()
    said = "\n".join([caplog.text, printed.out, printed.err, database.problem, *refused.problems,
                      repr(refused), repr(settings.current())])
    for secret in (password, "ss-w0rd-42", key):
        assert secret not in said, secret
    assert "CNNLAB_DB='mysql://teacher:***@db.school/class' is not a database URL" in said
    assert "CNNLAB_TEACHER_KEY=(not shown, " in said and " is not a key" in said
    assert "CNNLAB_TEACHER_KEY = (set)" in printed.out
    assert "CNNLAB_DB = postgresql+psycopg://teacher:***@127.0.0.1:1/class" in printed.out
    assert "The class database postgresql+psycopg://teacher:***@127.0.0.1:1/class cannot be used" in database.problem


@pytest.mark.parametrize("url, text, hidden", [
    ("postgresql://u:p%40ss@h/db", "could not log in with p@ss to postgresql://u:p%40ss@h/db", "could not log in "
     "with *** to postgresql://u:***@h/db"),
    ("postgresql://h/db?user=u&password=s3cret", "postgresql://h/db?user=u&password=s3cret failed",
     "postgresql://h/db?user=u&password=*** failed"),
    ("sqlite:///srv/class.sqlite", "sqlite:///srv/class.sqlite: no such table",
     "sqlite:///srv/class.sqlite: no such table"),
])
def test_hide_password_hides_a_urls_password_wherever_it_is_echoed(url, text, hidden):
    assert settings.hide_password(url, text) == hidden
