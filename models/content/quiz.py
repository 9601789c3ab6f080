"""Quizzes: questions kept as data in ``lessons/<lesson>/quiz.toml``, numeric ones generated.

A question has an ``id`` shared by both languages, the ``section`` of its lesson that explains
it, and either ``choices`` with the index of the right ``answer``, or, for a ``generated``
question, a generator below that draws fresh numbers and computes the answers with the same
functions the lessons use (``models.maths.conv_arithmetic``, ``models.maths.receptive_field``,
``models.probes.residual``, ``models.probes.dense``). Texts are templates filled with those numbers
(``models.content.templates.fill``: Korean particles after them are chosen by the number).

A choice's id is its place in the file, made explicit: ``"c0"``, ``"c1"``… (so a question that
students have answered keeps its choices' order in the file; edit a choice in place). Each
student sees the choices in an order of their own (``display_order``), and the store keeps the
id of the choice given, never its place on screen. Answers stored before ids were kept hold the
choice's text in the language the student used; ``choice_for`` finds the id of such a text where
a choice still reads so, and ``given_text`` says any stored answer in the reader's language.
"""

from __future__ import annotations

import functools
import math
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field

from lessons import DEFAULT_LANGUAGE, LANGUAGES, ROOT, lesson_ids
from models.content.templates import fill
from models.maths import fitting, pooling
from models.maths.blocks import basic_block_params, channels_after
from models.maths.conv_arithmetic import Conv, ConvSettingsError, dense_parameters, same_padding, sliding_window
from models.maths.receptive_field import fields

Numbers = dict[str, int | float | str]


def _conv_value(rng: random.Random) -> tuple[Numbers, Numbers]:
    patch = [[rng.randint(0, 3) for _ in range(3)] for _ in range(3)]
    kernel = [[rng.randint(-1, 2) for _ in range(3)] for _ in range(3)]
    value = sliding_window(patch, kernel)[0].total
    products = " + ".join(f"{a}·{b}" for pr, kr in zip(patch, kernel) for a, b in zip(pr, kr))
    rows = lambda m: "; ".join(" ".join(map(str, r)) for r in m)  # noqa: E731
    return {"patch": rows(patch), "kernel": rows(kernel), "products": products}, {"value": int(value)}


def _conv_output(rng: random.Random) -> tuple[Numbers, Numbers]:
    while True:
        k = rng.choice([1, 3, 5, 7])
        conv = Conv(w=rng.choice([28, 32, 64, 96, 128, 224]), k=k, p=rng.randint(0, k // 2), s=rng.choice([1, 2, 2, 4]),
                    c_in=rng.choice([1, 3, 16, 64]), c_out=rng.choice([8, 16, 32, 64]))
        try:
            out = conv.out
        except ConvSettingsError:
            continue
        numbers = {"w": conv.w, "k": conv.k, "p": conv.p, "s": conv.s, "c_in": conv.c_in, "c_out": conv.c_out}
        return numbers, {"out": out, "params": conv.parameters}


def _same_padding(rng: random.Random) -> tuple[Numbers, Numbers]:
    k, w = rng.choice([3, 5, 7, 9]), rng.choice([14, 28, 32, 56])
    before, _after = same_padding(k)  # equal for an odd kernel
    return {"k": k, "w": w}, {"p": before}


def _fc_params(rng: random.Random) -> tuple[Numbers, Numbers]:
    h = w = rng.choice([32, 64, 128, 224])
    n = rng.choice([100, 256, 1000])
    return {"h": h, "w": w, "n": n}, {"params": dense_parameters(h, w, 3, n)}


def _receptive_stack(rng: random.Random) -> tuple[Numbers, Numbers]:
    n, k = rng.randint(2, 6), rng.choice([3, 5])
    size = fields([Conv(name=f"conv{i}", k=k) for i in range(n)])[-1].size
    return {"n": n, "k": k, "grow": k - 1}, {"size": size}


def _basic_block_params(rng: random.Random) -> tuple[Numbers, Numbers]:
    c = rng.choice([16, 32, 64, 128, 256])
    return {"c": c}, {"params": basic_block_params(c)}


def _dense_channels(rng: random.Random) -> tuple[Numbers, Numbers]:
    c0, layers, k = rng.choice([24, 32, 64, 128]), rng.randint(3, 24), rng.choice([12, 24, 32])
    return {"c0": c0, "layers": layers, "k": k}, {"channels": channels_after(c0, layers, k)}


def _cosine_lr(rng: random.Random) -> tuple[Numbers, Numbers]:
    lr0, total = rng.choice([0.1, 0.05, 0.01]), rng.choice([100, 200, 1000])
    t = rng.choice([total // 4, total // 3, total // 2, 2 * total // 3, 3 * total // 4])
    lr = 0.5 * lr0 * (1 + math.cos(math.pi * t / total))
    return {"lr0": lr0, "total": total, "t": t}, {"lr": lr}


def _val_split(rng: random.Random) -> tuple[Numbers, Numbers]:
    images, share = rng.choice([300, 500, 1000, 2400, 6000]), rng.choice([0.1, 0.2, 0.25])
    train, val = fitting.split_sizes(images, share)
    return {"images": images, "percent": round(100 * share)}, {"train": train, "val": val}


def _kfold(rng: random.Random) -> tuple[Numbers, Numbers]:
    images, k = rng.choice([500, 1000, 2000, 6000]), rng.choice([4, 5, 10])
    train, _val = fitting.split_sizes(images, 1 / k)
    return {"images": images, "k": k}, {"train": train}


def _alexnet_conv1(rng: random.Random) -> tuple[Numbers, Numbers]:
    w, k, s, p = rng.choice([224, 227, 231]), 11, 4, rng.choice([0, 2])
    return {"w": w, "k": k, "s": s, "p": p}, {"out": Conv(w=w, k=k, s=s, p=p).out}


def _fc_layer(rng: random.Random) -> tuple[Numbers, Numbers]:
    c, h, n = rng.choice([128, 256, 512]), rng.choice([4, 6, 7]), rng.choice([1024, 2048, 4096])
    return {"c": c, "h": h, "n": n}, {"params": dense_parameters(h, h, c, n)}


def _pooled_size(rng: random.Random) -> tuple[Numbers, Numbers]:
    w, k = rng.choice([7, 13, 14, 27, 28, 55, 56]), rng.choice([2, 3])
    s = rng.choice([2, k])
    return {"w": w, "k": k, "s": s}, {"out": pooling.pooled_size(w, k, s)}


def _max_pool_value(rng: random.Random) -> tuple[Numbers, Numbers]:
    window = [[rng.randint(-5, 9) for _ in range(2)] for _ in range(2)]
    (step,) = pooling.pool_steps(window, 2, 2, "max")
    return {"values": ", ".join(str(v) for row in window for v in row)}, {"out": int(step.out)}


GENERATORS: dict[str, Callable[[random.Random], tuple[Numbers, Numbers]]] = {
    "conv_value": _conv_value, "conv_output": _conv_output, "same_padding": _same_padding,
    "fc_params": _fc_params, "receptive_stack": _receptive_stack, "basic_block_params": _basic_block_params,
    "dense_channels": _dense_channels, "cosine_lr": _cosine_lr, "val_split": _val_split, "kfold": _kfold,
    "alexnet_conv1": _alexnet_conv1, "fc_layer": _fc_layer, "pooled_size": _pooled_size,
    "max_pool_value": _max_pool_value,
}
TOLERANCE = {"lr": 0.0005}  # answers that are not whole numbers: right to three decimal places


@dataclass(frozen=True)
class Question:
    id: str
    lesson: str
    section: str
    text: str
    explanation: str
    choices: dict[str, str] = field(default_factory=dict)  # a multiple-choice question: id → text, file order …
    answer: str | None = None  # … and the id of its right choice
    fields: dict[str, str] = field(default_factory=dict)  # a numeric question: answer name → label
    answers: Numbers = field(default_factory=dict)  # … and the right numbers

    @property
    def numeric(self) -> bool:
        return bool(self.fields)

    def check(self, given) -> bool:
        """``given``: a choice's id, or {answer name: number}."""
        if not self.numeric:
            return given == self.answer
        return all(_close(name, given.get(name), value) for name, value in self.answers.items())


def _close(name: str, given, right) -> bool:
    if given is None:
        return False
    return abs(float(given) - float(right)) <= TOLERANCE.get(name, 0) + 1e-9


@functools.cache
def _raw(lesson: str) -> tuple[dict, ...]:
    path = ROOT / lesson / "quiz.toml"
    if not path.exists():
        return ()
    with open(path, "rb") as f:
        return tuple(tomllib.load(f)["questions"])


def quiz_lessons() -> list[str]:
    return [lesson for lesson in lesson_ids() if _raw(lesson)]


def question_ids(lesson: str) -> list[str]:
    return [q["id"] for q in _raw(lesson)]


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)


def question(lesson: str, qid: str, lang: str, seed: int = 0) -> Question:
    """One question in one language; a generated one with the numbers drawn from ``seed``."""
    raw = _one(lesson, qid)
    text = raw[lang]
    if raw["kind"] == "generated":
        numbers, answers = GENERATORS[raw["generator"]](random.Random(f"{qid}:{seed}"))
        values = {k: _format(v) for k, v in {**numbers, **answers}.items()}
        return Question(qid, lesson, raw["section"], fill(text["text"], **values),
                        fill(text["explanation"], **values), fields=dict(text["fields"]), answers=answers)
    return Question(qid, lesson, raw["section"], text["text"], text["explanation"],
                    choices={choice_id(i): c for i, c in enumerate(text["choices"])}, answer=choice_id(raw["answer"]))


def _one(lesson: str, qid: str) -> dict | None:
    return next((q for q in _raw(lesson) if q["id"] == qid), None)


def choice_id(index: int) -> str:
    """The id of the choice at ``index`` in the quiz file: the answer the store keeps."""
    return f"c{index}"


def display_order(q: Question, student: str) -> list[str]:
    """The ids of ``q``'s choices in the order ``student`` sees them: shuffled, the same on every
    visit and in both languages (``random.Random`` seeds a string through SHA-512, so the order
    does not change with the process either)."""
    ids = list(q.choices)
    random.Random(f"{student}:{q.lesson}/{q.id}").shuffle(ids)
    return ids


def choice_for(lesson: str, qid: str, given: str) -> str | None:
    """The id of the choice a stored answer names: the id itself, or, for an answer stored before
    ids (the choice's text, in the language the student used), the choice that reads so in any
    language. None for a numeric question's answer, a text no choice has any more, or a question
    no longer in the quiz."""
    raw = _one(lesson, qid)
    if raw is None or raw["kind"] != "choice":
        return None
    ids = [choice_id(i) for i in range(len(raw[DEFAULT_LANGUAGE]["choices"]))]
    if given in ids:
        return given
    for lang in LANGUAGES:
        if given in raw[lang]["choices"]:
            return choice_id(raw[lang]["choices"].index(given))
    return None


def given_text(lesson: str, qid: str, given: str, lang: str) -> str:
    """A stored answer as the reader should see it: a choice in ``lang``, whichever way it was
    stored; a numeric answer, or an old text no choice has any more, as stored."""
    cid = choice_for(lesson, qid, given)
    return given if cid is None else question(lesson, qid, lang).choices[cid]
