"""One error convention: every error a student or teacher can cause or see is a ``LabError``.

A ``LabError`` carries a ``code`` and the parameters of its sentence, never the sentence itself:
the page says it in its own language (``ui.i18n.say(err)``), from ``lessons/strings/<lang>.toml``
under ``error.<area>.<code>``. ``str(err)`` is the English sentence, for the console and the
command line.

Each kind of error declares its codes and their parameters (``CODES``), so a code that has no
sentence, or a sentence that asks for a parameter the code does not give, is a test failure in
both languages (tests/test_errors.py), not an English fallback on a Korean page.
"""

from __future__ import annotations

from typing import ClassVar


class LabError(Exception):
    area: ClassVar[str] = ""  # the strings' table: error.<area>.<code>
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {}  # code → the names of its parameters

    def __init__(self, code: str, **params):
        expected = self.CODES.get(code)
        if expected is None or set(expected) != set(params):
            raise TypeError(f"{type(self).__name__}({code!r}, {sorted(params)}) is not one of {self.CODES}")
        super().__init__(code)
        self.code, self.params = code, params

    @property
    def key(self) -> str:
        return f"error.{self.area}.{self.code}"

    def message(self, lang: str = "en") -> str:
        from lessons import strings  # content, read lazily: errors are raised before any page exists
        from models.content.templates import fill  # Korean particles after a value, chosen by it

        return fill(strings(lang)[self.key], **self.params)

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self):  # picklable, as an exception crossing a process boundary must be
        return _rebuild, (type(self), self.code, self.params)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and (other.code, other.params) == (self.code, self.params)

    def __hash__(self) -> int:
        return hash((type(self), self.code))


def _rebuild(cls, code, params):
    return cls(code, **params)


def every_kind() -> list[type[LabError]]:
    """Every subclass of ``LabError`` that declares codes (importing the modules that define them)."""
    import models.maths.conv_arithmetic  # each module below defines its own kind
    import models.runtime.device
    import models.runtime.images
    import models.runtime.weights
    import models.training.datasets
    import models.training.jobs
    import models.training.nets
    import models.training.train  # noqa: F401 — binds `models`, as each import above does

    found, todo = [], [LabError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "CODES" in vars(cls):
            found.append(cls)
    return found
