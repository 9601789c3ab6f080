"""One error convention: every error a user can meet has a code, and a sentence in each language."""

import importlib
import pickle
import pkgutil
import re
from pathlib import Path

import pytest

import models
from lessons import LANGUAGES, strings
from models import errors
from models.errors import LabError

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[가-힣]")
for _module in pkgutil.walk_packages(models.__path__, "models."):  # every kind is defined in one of them
    importlib.import_module(_module.name)
KINDS = errors.every_kind()
CODES = [(kind, code) for kind in KINDS for code in kind.CODES]


def _example(kind, code) -> LabError:
    return kind(code, **{name: f"<{name}>" for name in kind.CODES[code]})


def test_every_kind_of_error_is_found():
    names = {k.__name__ for k in KINDS}
    assert {"ImageError", "ConvSettingsError", "WeightsError", "DeviceUnavailable", "DatasetUnavailable",
            "NetworkError", "RunSettingsError", "RunnerError"} <= names


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("kind, code", CODES, ids=[f"{k.__name__}.{c}" for k, c in CODES])
def test_each_error_has_a_sentence_in_each_language_with_all_its_parameters(kind, code, lang):
    err = _example(kind, code)
    text = err.message(lang)
    for name in kind.CODES[code]:
        assert f"<{name}>" in text, f"{err.key} in {lang} does not say its {name}"
    if lang == "ko":
        assert HANGUL.search(text) and text != err.message("en")


def test_no_error_sentence_is_left_without_a_code():
    declared = {_example(k, c).key for k, c in CODES}
    for lang in LANGUAGES:
        assert {key for key in strings(lang) if key.startswith("error.")} == declared, lang


def test_an_undeclared_code_or_a_missing_parameter_is_refused():
    from models.training.jobs import RunnerError

    with pytest.raises(TypeError):
        RunnerError("exploded")
    with pytest.raises(TypeError):
        RunnerError("failed")  # without its kind


def test_every_code_raised_in_models_is_declared():
    """Each ``SomethingError("code", …)`` written in models/ names a declared code of that kind."""
    by_name = {k.__name__: k for k in KINDS}
    for k in KINDS:
        for sub in k.__subclasses__():
            by_name[sub.__name__] = sub
    seen = 0
    for path in (ROOT / "models").rglob("*.py"):
        for name, code in re.findall(r"\b(\w+(?:Error|Unavailable|Missing|Corrupt))\(\s*\"(\w+)\"", path.read_text()):
            if name in by_name:
                seen += 1
                assert code in by_name[name].CODES, f"{path.name}: {name}({code!r})"
    assert seen >= 30


def test_an_error_survives_a_trip_between_processes():
    err = _example(*CODES[0])
    again = pickle.loads(pickle.dumps(err))
    assert again == err and again.message("ko") == err.message("ko")


def test_a_missing_data_set_is_said_in_korean_on_the_korean_page(open_page):
    at = open_page("training_lab", lang="ko", **{"train.dataset": "cifar-10"})
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert "이 컴퓨터에는 CIFAR-10이 없습니다" in said and "is not on this machine" not in said
