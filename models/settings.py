"""Every setting of CNN Lab, read in one place: its environment variable, default and validation.

Like nanoGPT's configuration block, this is the one list of the knobs a teacher can turn. Each
``Setting`` names its variable, says what it does and what a good value is, and parses the
variable's text. A value that does not parse is never silently ignored: the default is used, and
the reason is one line in the server's console, said once (``problems`` lists them, and
``python -m models.settings`` prints them and exits non-zero). The README's configuration table
is this list (``python -m models.settings --markdown``; a test compares the two).

Settings are read from the environment on every call (cheap): a test, or a teacher's shell,
that changes a variable sees the change at the next use.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

log = logging.getLogger("cnnlab.settings")


class BadValue(ValueError):
    """A variable's text that is not a value of its setting; ``str(err)`` says what is wanted."""


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise BadValue(f"a whole number of at least {minimum}") from None
        if value < minimum:
            raise BadValue(f"a whole number of at least {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadValue("a number of seconds, at least 1") from None
    if not value >= 1:  # also refuses nan
        raise BadValue("a number of seconds, at least 1")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadValue("a number from 0 to 1 (a share of one GPU)") from None
    if not 0 <= value <= 1:
        raise BadValue("a number from 0 to 1 (a share of one GPU)")
    return value


def _switch(text: str) -> bool:
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    if text.lower() not in words:
        raise BadValue("1 or 0 (true/false, yes/no)")
    return words[text.lower()]


def _device(text: str) -> str:
    import torch  # here, not at the top: reading settings must not import torch first (models/__init__)

    try:
        return str(torch.device(text.lower()))
    except RuntimeError:
        raise BadValue("cpu, cuda, cuda:N or mps") from None


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise BadValue(" or ".join(choices))
        return text.lower()

    return parse


def _database_url(text: str) -> str:
    if not text.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise BadValue("a database URL (sqlite:///path or postgresql+psycopg://user:password@host/db)")
    return text


TEACHER_KEY_LENGTH = 16  # a chosen key's least length: with one try a second, beyond guessing


def _teacher_key(text: str) -> str:
    if len(text) < TEACHER_KEY_LENGTH:
        raise BadValue(f"a key of at least {TEACHER_KEY_LENGTH} characters")
    return text


def hide_password(url: str, text: str | None = None) -> str:
    """``text`` (by default ``url`` itself) with the password of the database URL ``url`` replaced
    by ``***``, wherever it appears, as typed or percent-decoded, and so is any password of any
    URL in ``text`` (``scheme://user:password@host``, ``?password=``). For the console, logs and
    error messages: a database URL is never printed with its password."""
    found = [m[1] for pattern in (_URL_PASSWORD, _QUERY_PASSWORD) for m in pattern.finditer(url)]
    text = url if text is None else text
    for pattern in (_URL_PASSWORD, _QUERY_PASSWORD):  # every URL's password, then this one's anywhere else
        text = pattern.sub(lambda m: m[0][:m.start(1) - m.start()] + "***" + m[0][m.end(1) - m.start():], text)
    # as typed, decoded, and each piece around an unescaped "@" (which a URL parser may read as the host's)
    pieces = {p for word in found for whole in (word, unquote(word))
              for p in (whole, *(piece for piece in whole.split("@") if len(piece) >= 3)) if p}
    for password in sorted(pieces, key=len, reverse=True):
        text = text.replace(password, "***")
    return text


# "//user:password@": the password runs to the last "@" of the word (an unescaped "@" in it is hidden too)
_URL_PASSWORD = re.compile(r"//[^:/@\s]*:(\S*)@")
_QUERY_PASSWORD = re.compile(r"[?&]password=([^&\s]*)", re.IGNORECASE)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Setting:
    field: str  # the attribute of ``Settings``
    variable: str  # the environment variable
    default: object  # a value, or a function of nothing for one that depends on the machine
    parse: Callable[[str], object]
    effect: str  # for the README
    default_text: str  # the default as the README says it
    shown: Callable[[str], str] = repr  # the variable's text as the console may print it (never a secret)

    def default_value(self):
        return self.default() if callable(self.default) else self.default


SETTINGS: tuple[Setting, ...] = (
    Setting("device", "CNNLAB_DEVICE", None, _device,
            "`cpu`, `cuda`, `cuda:1`, `mps`; one this machine does not have falls back to the CPU with a note",
            "CUDA, then Apple MPS, then CPU"),
    Setting("threads", "CNNLAB_THREADS", _cores, _whole(1), "CPU threads for PyTorch",
            "the cores this process may use"),
    Setting("offline", "CNNLAB_OFFLINE", False, _switch, "`1` forbids every download (weights, data sets)", "`0`"),
    Setting("data", "CNNLAB_DATA", lambda: Path.home() / ".cache" / "cnnlab" / "data", Path,
            "data root for data sets", "`~/.cache/cnnlab/data`"),
    Setting("max_runs", "CNNLAB_MAX_RUNS", 1, _whole(1), "training runs at the same time", "1"),
    Setting("max_queue", "CNNLAB_MAX_QUEUE", 4, _whole(0),
            "runs waiting beyond those; one more is refused with \"busy, try again in a minute\"", "4"),
    Setting("runs_per_address", "CNNLAB_RUNS_PER_ADDRESS", 1, _whole(0),
            "live runs (running or queued) from one network address, whoever the students are: one person "
            "with five fresh tabs gets one place; a school whose students reach the server through one NAT "
            "address sets it to the class's size, or 0 for no limit", "1"),
    Setting("max_run_seconds", "CNNLAB_MAX_RUN_SECONDS", 60.0, _seconds,
            "the longest time budget a student can give a run", "60"),
    Setting("runner", "CNNLAB_RUNNER", "local", _one_of("local", "ray"),
            "`ray` runs every training run and lesson task on the Ray cluster of `RAY_ADDRESS` "
            "(one queue for every app server)", "`local`: threads in this server"),
    Setting("ray_fallback", "CNNLAB_RAY_FALLBACK", "local", _one_of("local", "refuse"),
            "with `CNNLAB_RUNNER=ray`, when the cluster cannot be reached: train on this server, or refuse runs",
            "`local`"),
    Setting("ray_cpus", "CNNLAB_RAY_CPUS_PER_RUN", 1, _whole(1), "CPU cores Ray gives each run", "1"),
    Setting("ray_gpus", "CNNLAB_RAY_GPUS_PER_RUN", 0.0, _share,
            "the share of one GPU Ray gives each run (0.25: four small runs share a GPU); 0: CPUs only", "0"),
    Setting("inference", "CNNLAB_INFERENCE", "onnxruntime", _one_of("onnxruntime", "torch"),
            "`torch` runs the classifiers in PyTorch on the CPU too, instead of ONNX Runtime",
            "`onnxruntime` on the CPU"),
    Setting("inference_threads", "CNNLAB_INFERENCE_THREADS", 1, _whole(1),
            "ONNX Runtime threads for one classification; more make one picture faster on an idle machine, "
            "but cost more CPU-seconds per picture when a class uploads at once", "1"),
    Setting("cuda_graphs", "CNNLAB_CUDA_GRAPHS", True, _switch,
            "`0` runs the classifiers eagerly on CUDA instead of replaying one captured CUDA graph per network",
            "`1`"),
    Setting("db", "CNNLAB_DB", None, _database_url,
            "the class store: `sqlite:///path` or `postgresql+psycopg://user:password@host/db`",
            "`sqlite:///~/.local/share/cnnlab/class.sqlite`", lambda text: repr(hide_password(text))),
    Setting("teacher_key", "CNNLAB_TEACHER_KEY", None, _teacher_key,
            f"the key of the teacher's dashboard, at least {TEACHER_KEY_LENGTH} characters (a shorter one is "
            "refused at start); every try takes a turn of one gate, one try a second for the whole class",
            "24 random characters drawn at the first start, printed in the console",
            lambda text: f"(not shown, {len(text)} characters)"),
)


@dataclass(frozen=True)
class Settings:
    device: str | None  # None: choose (models.runtime.device)
    threads: int
    offline: bool
    data: Path
    max_runs: int
    max_queue: int
    runs_per_address: int  # 0: no limit
    max_run_seconds: float
    runner: str
    ray_fallback: str
    ray_cpus: int
    ray_gpus: float
    inference: str
    inference_threads: int
    cuda_graphs: bool  # replay a captured CUDA graph per classifier (models.runtime.inference)
    db: str | None = field(repr=False)  # None: SQLite in the user's data folder (models.store); has a password
    teacher_key: str | None = field(repr=False)  # None: generated once, said in the console
    problems: tuple[str, ...] = ()  # one sentence per variable whose value was refused


def read(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``env`` (by default the process's environment); bad values give defaults
    and a sentence each in ``problems``."""
    env = os.environ if env is None else env
    values, problems = {}, []
    for s in SETTINGS:
        text = env.get(s.variable, "").strip()
        if not text:
            values[s.field] = s.default_value()
            continue
        try:
            values[s.field] = s.parse(text)
        except BadValue as err:
            values[s.field] = s.default_value()
            problems.append(f"{s.variable}={s.shown(text)} is not {err}; using the default ({s.default_text}).")
    return Settings(**values, problems=tuple(problems))


_said: set[str] = set()
_said_lock = threading.Lock()


def current() -> Settings:
    """The process's settings now. Each refused value is said once in the console."""
    settings = read()
    for problem in settings.problems:
        with _said_lock:
            if problem in _said:
                continue
            _said.add(problem)
        log.warning("%s", problem)
    return settings


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| variable | effect | default |", "| --- | --- | --- |"]
    rows += [f"| `{s.variable}` | {s.effect} | {s.default_text} |" for s in SETTINGS]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--markdown"]:
        print(markdown_table())
        return 0
    settings = read()
    for s in SETTINGS:
        value = getattr(settings, s.field)
        if s.field == "teacher_key" and value:
            value = "(set)"
        elif s.field == "db" and value:
            value = hide_password(value)
        print(f"{s.variable} = {value}")
    for problem in settings.problems:
        print(problem, file=sys.stderr)
    return 1 if settings.problems else 0


if __name__ == "__main__":
    sys.exit(main())
