"""What every page says, read as a student reads it: no string key instead of a sentence, no
"1 epochs", and no English sentence on a Korean page.

Every page (``lessons.course()``) is rendered under AppTest in both languages and every text it
shows is collected: Markdown, headings, alerts, captions, metrics, every widget's label, help and
options, expanders and tabs, table columns, the titles and trace names of its charts, and the text
alternatives of its pictures and charts (``figure_words``: every picture an ``alt``, every chart its
described words). (A key with no string already fails a page while a test runs: ``ui.i18n.t``
raises ``MissingString``.)
"""

import html
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

import lessons
from tests.test_app import APP, TIMEOUT
from tests.test_glossary import prose

# string-valued fields of the element protos that a student reads (not ids, keys, formats, code)
READ = {"body", "label", "help", "options", "placeholder", "caption", "title"}
NAMESPACES = sorted({key.split(".")[0] for key in lessons.strings("en")}, key=len, reverse=True)
RAW_KEY = re.compile(rf"(?<![\w./-])(?:{'|'.join(NAMESPACES)})\.[a-z][a-z0-9_-]*(?![\w(])")
# "1 epochs": a one before a plural that the English strings put after a number
ONE_PLURAL = re.compile(r"(?<![\d.,])1 (epochs|images|threads|filters|layers|runs|steps|pixels|channels|units|"
                        r"parameters|questions|cases|points|weights|snapshots|frames)\b")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){3,}")
NAMES = re.compile(r"\b(ResNet-?\d*|DenseNet-?\d*|VGG-?\d*|AlexNet|Fashion-MNIST|CIFAR-10|ImageNet|torchvision|PyTorch|"
                   r"SGD|Adam|ReLU|BatchNorm|CPU|GPU|CUDA|CSV|URL)\b")


def _strings(message, name=""):
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for m in values:
                yield from _strings(m, field.name)
        elif field.type == field.TYPE_STRING and field.name in READ:
            if field.name == "body" and type(message).__name__ == "Html":
                continue  # the cookie's script
            yield from values
        elif field.name == "spec" and type(message).__name__ == "PlotlyChart":
            yield from _chart_words(json.loads(value))


def _chart_words(spec) -> list[str]:
    """A chart's titles, axis titles, annotations and trace names."""
    found = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("text", "name"):
            found.append(node)

    walk({"data": spec.get("data", []), "layout": spec.get("layout", {})})
    return found


IMG = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\balt="([^"]*)"')
DESCRIBED = re.compile(r'<p class="cnnlab-alt"[^>]*>(.*?)</p>', re.S)


def _protos(at: AppTest):
    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield proto
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    yield from walk(at._tree)


def figure_words(at: AppTest) -> tuple[list[str], list[str], int]:
    """The text alternatives on the page (every <img>'s alt, every chart's described words), the
    problems (a picture without alt, a chart without words beside it), and how many figures."""
    words, problems, charts, described, images = [], [], 0, 0, 0
    for proto in _protos(at):
        kind = type(proto).__name__
        if kind == "PlotlyChart":
            charts += 1
            alt = (json.loads(proto.spec).get("layout", {}).get("meta") or {}).get("alt", "")
            if not alt.strip():
                problems.append(f"a chart ({proto.id[:40]}) without a text alternative")
        elif kind == "Html":
            for tag in IMG.findall(proto.body):
                images += 1
                alt = ALT.search(tag)
                if alt is None or not alt.group(1).strip():
                    problems.append(f"a picture without alt: {tag[:80]}…")
                else:
                    words.append(html.unescape(alt.group(1)))
            for text in DESCRIBED.findall(proto.body):
                described += 1
                words.append(html.unescape(text))
        elif kind == "Imgs":
            problems.append("st.image: use ui.charts.picture (inline, with its alt)")
    if described != charts:
        problems.append(f"{charts} charts but {described} described")
    return words, problems, charts + images


def page_texts(at: AppTest) -> list[str]:
    texts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.extend(_strings(proto))
        if type(node).__name__ == "Dataframe":
            texts.extend(str(c) for c in node.value.columns)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return texts


def raw_keys(texts) -> list[str]:
    """``section.name`` where a sentence should be: a key of the strings, or one in their shape
    (a known section, a snake_case name) — "res.png" is a file, "train.data_fashion-mnist" a key."""
    known = lessons.strings("en")
    return sorted({k for text in texts for k in (m.group(0) for m in RAW_KEY.finditer(text))
                   if k.replace("-", "_") in known or "_" in k})


def _class_names() -> re.Pattern:
    """ImageNet's class names (the weights' metadata: data, shown as published), longest first."""
    from models.runtime import networks

    names = {c for network in networks.NETWORKS.values() for c in network.categories}
    return re.compile("|".join(re.escape(c) for c in sorted(names, key=len, reverse=True)))


def english_sentences(texts) -> list[str]:
    """Runs of four or more English words outside math, code, quotes and parenthesised glosses,
    names of networks, data sets, tools and ImageNet's classes left aside."""
    classes = _class_names()
    found = []
    for text in texts:
        for m in ENGLISH_RUN.finditer(NAMES.sub(" ", classes.sub(" ", prose(text)))):
            found.append(m.group(0))
    return found


def test_the_scans_find_what_they_look_for():
    assert raw_keys(["Scaled: 1,500 train.data_fashion-mnist images", "page.home", "see `torch.nn`"]) == \
        ["page.home", "train.data_fashion-mnist"]
    assert raw_keys(["models.weights fetch", "ResNet18.pth", "e.g. x", "2 epochs.", "res.png"]) == []
    assert ONE_PLURAL.search("Recorded: 6,000 images, 1 epochs, on x86") and not ONE_PLURAL.search("11 epochs, 1 epoch")
    assert english_sentences(["이 값은 this is not translated yet 입니다"]) == ["this is not translated yet"]
    assert english_sentences(["ResNet18과 DenseNet121 (a gloss in English words) `code with four words` $a b c d$",
                              '논문 "Deep Residual Learning for Image Recognition"', "SGD, Adam, ReLU, BatchNorm",
                              "1순위: West Highland white terrier"]) == []


@pytest.mark.parametrize("lang", list(lessons.LANGUAGES))
def test_every_page_reads_as_sentences_in_its_language(lang):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    problems, figures_seen = [], 0
    for lesson in [lesson.id for lesson in lessons.course()]:
        at.switch_page(f"app_pages/{lesson}.py").run()
        assert not at.exception, f"{lesson} ({lang}): {at.exception}"
        texts = page_texts(at)
        assert len(texts) > 5, f"{lesson} ({lang}): nothing read; the walk is stale"
        words, missing, seen = figure_words(at)
        texts += words
        figures_seen += seen
        problems += [f"{lesson}: {problem}" for problem in missing]
        problems += [f"{lesson}: raw key {k!r}" for k in raw_keys(texts)]
        problems += [f"{lesson}: {m.group(0)!r}" for text in texts for m in ONE_PLURAL.finditer(text)]
        if lang == "ko":
            problems += [f"{lesson}: English on a Korean page: {s!r}" for s in english_sentences(texts)]
            problems += [f"{lesson}: a text alternative not in Korean: {w!r}" for w in words
                         if not re.search(r"[\uac00-\ud7a3]", w)]
    assert not problems, "\n".join(problems)
    assert figures_seen > 20, f"{lang}: {figures_seen} pictures and charts on all pages; the walk is stale"


def test_a_string_that_does_not_exist_fails_the_test_that_asks_for_it(monkeypatch):
    from ui import i18n

    with pytest.raises(i18n.MissingString):
        i18n.t("train.no_such_string")
    assert i18n.t("train.data_fashion-mnist") == lessons.strings("en")["train.data_fashion_mnist"]  # an option's value
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # a running server: logged once, and the page still renders
    assert i18n.t("train.no_such_string") == "train.no_such_string"
