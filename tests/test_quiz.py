"""Quiz files valid in both languages; generated answers checked against PyTorch; the page keeps results."""

import math
import re
import random
import tomllib

import pytest
import torch
import torch.nn.functional as F
from torchvision.models.densenet import _DenseBlock
from torchvision.models.resnet import BasicBlock

from lessons import LANGUAGES, ROOT, lesson_ids, sections
from models.content import quiz

TEACHING = [lesson for lesson in lesson_ids() if lesson not in ("home", "quiz", "teacher")]


def test_every_lesson_has_a_quiz_with_at_least_five_questions():
    assert set(quiz.quiz_lessons()) == set(TEACHING)
    for lesson in TEACHING:
        assert len(quiz.question_ids(lesson)) >= 5, lesson
    assert len(quiz.question_ids("residual_block")) >= 10  # the seed's five review questions, and five more


def test_the_seed_notes_review_questions_are_there():
    ids = quiz.question_ids("residual_block")
    for qid in ("skip-why", "residual-vs-plain", "one-by-one-why", "resnet50-vs-152", "training-helps"):
        assert qid in ids


@pytest.mark.parametrize("lesson", TEACHING)
def test_quiz_file_is_complete_in_both_languages(lesson):
    with open(ROOT / lesson / "quiz.toml", "rb") as f:
        questions = tomllib.load(f)["questions"]
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), "question ids must be unique"
    for q in questions:
        assert q["section"] in sections(lesson, "en"), f"{q['id']}: no section {q['section']}"
        for lang in LANGUAGES:
            text = q[lang]
            assert text["text"].strip() and text["explanation"].strip(), (q["id"], lang)
        if q["kind"] == "choice":
            counts = {len(q[lang]["choices"]) for lang in LANGUAGES}
            assert len(counts) == 1 and 0 <= q["answer"] < counts.pop(), q["id"]
        else:
            assert q["kind"] == "generated" and q["generator"] in quiz.GENERATORS
            assert len({tuple(q[lang]["fields"]) for lang in LANGUAGES}) == 1, q["id"]
        assert any("\uac00" <= ch <= "\ud7a3" for ch in q["ko"]["text"]), f"{q['id']}: Korean text without Hangul"


@pytest.mark.parametrize("lesson", TEACHING)
def test_every_question_renders_in_both_languages_with_many_seeds(lesson):
    for qid in quiz.question_ids(lesson):
        for lang in LANGUAGES:
            for seed in range(20):
                q = quiz.question(lesson, qid, lang, seed)
                for text in (q.text, q.explanation):  # no placeholder left unfilled
                    assert not re.search(r"\{[a-z_][a-z_0-9]*\}", text), (qid, lang, text)


def _draws(generator: str, n: int = 40):
    return [quiz.GENERATORS[generator](random.Random(i)) for i in range(n)]


def test_conv_output_answers_match_pytorch():
    for numbers, answers in _draws("conv_output"):
        conv = torch.nn.Conv2d(numbers["c_in"], numbers["c_out"], numbers["k"], numbers["s"], numbers["p"])
        out = conv(torch.zeros(1, numbers["c_in"], numbers["w"], numbers["w"]))
        assert out.shape[-1] == answers["out"]
        assert sum(p.numel() for p in conv.parameters()) == answers["params"]


def test_same_padding_keeps_the_size_in_pytorch():
    for numbers, answers in _draws("same_padding"):
        conv = torch.nn.Conv2d(1, 1, numbers["k"], padding=answers["p"])
        assert conv(torch.zeros(1, 1, numbers["w"], numbers["w"])).shape[-1] == numbers["w"]


def test_conv_value_matches_pytorch():
    for numbers, answers in _draws("conv_value"):
        patch = torch.tensor([[float(v) for v in row.split()] for row in numbers["patch"].split("; ")])
        kernel = torch.tensor([[float(v) for v in row.split()] for row in numbers["kernel"].split("; ")])
        assert F.conv2d(patch[None, None], kernel[None, None]).item() == answers["value"]


def test_fc_parameters_match_pytorch():
    for numbers, answers in _draws("fc_params", 10):
        layer = torch.nn.Linear(numbers["h"] * numbers["w"] * 3, numbers["n"], device="meta")
        assert sum(p.numel() for p in layer.parameters()) == answers["params"]


def test_receptive_stack_matches_autograd():
    for numbers, answers in _draws("receptive_stack", 10):
        k, n = numbers["k"], numbers["n"]
        x = torch.zeros(1, 1, 64, 64, requires_grad=True)
        y = x
        for _ in range(n):
            y = F.conv2d(y, torch.ones(1, 1, k, k))
        y[0, 0, y.shape[-2] // 2, y.shape[-1] // 2].backward()
        touched = (x.grad[0, 0] != 0).any(dim=0).nonzero()
        assert int(touched.max() - touched.min() + 1) == answers["size"]


def test_basic_block_answers_match_torchvision():
    for numbers, answers in _draws("basic_block_params", 10):
        block = BasicBlock(numbers["c"], numbers["c"])
        assert sum(p.numel() for p in block.parameters()) == answers["params"]


def test_dense_channels_match_torchvisions_dense_block():
    for numbers, answers in _draws("dense_channels", 8):
        block = _DenseBlock(numbers["layers"], numbers["c0"], bn_size=4, growth_rate=numbers["k"], drop_rate=0)
        out = block(torch.zeros(1, numbers["c0"], 4, 4))
        assert out.shape[1] == answers["channels"]


def test_cosine_answer_matches_pytorchs_scheduler():
    for numbers, answers in _draws("cosine_lr", 10):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=numbers["lr0"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=numbers["total"])
        for _ in range(numbers["t"]):
            opt.step()
            sched.step()
        assert math.isclose(opt.param_groups[0]["lr"], answers["lr"], rel_tol=1e-6, abs_tol=1e-12)


def test_checking_answers():
    q = quiz.question("conv_arithmetic", "conv-output", "en", seed=1)
    assert q.check(dict(q.answers)) and not q.check({**q.answers, "out": q.answers["out"] + 1})
    assert not q.check({"out": q.answers["out"]})  # every field must be answered
    choice = quiz.question("conv_arithmetic", "seed-304", "en")
    assert choice.check(2) and not choice.check(1)
    cosine = quiz.question("training_lab", "cosine", "en", seed=2)
    assert cosine.check({"lr": round(cosine.answers["lr"], 3)}) and not cosine.check({"lr": cosine.answers["lr"] + 0.002})


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_answers_get_feedback_and_survive_a_page_switch(lang, open_page):
    at = open_page("quiz", lang=lang)
    assert not at.exception
    at.selectbox(key="_quiz.lesson").set_value("conv_arithmetic").run()
    at.radio(key="quiz.conv_arithmetic/seed-304.choice").set_value(2)  # in a form: sent with its submit
    at.button(key="FormSubmitter:quiz.form.conv_arithmetic/seed-304-" + ("Check" if lang == "en" else "확인")).click().run()
    assert at.success and "304" in at.success[0].value
    at.radio(key="quiz.conv_arithmetic/stride-two.choice").set_value(0)
    at.button(key="FormSubmitter:quiz.form.conv_arithmetic/stride-two-" + ("Check" if lang == "en" else "확인")).click().run()
    assert at.error
    at.switch_page("app_pages/home.py").run()
    at = at.switch_page("app_pages/quiz.py").run()
    assert not at.exception
    assert len(at.success) == 1 and len(at.error) == 1  # both results kept
    assert any(d.label for d in at.get("download_button"))


def test_a_generated_question_checks_a_typed_answer(open_page):
    at = open_page("quiz")
    at.selectbox(key="_quiz.lesson").set_value("conv_arithmetic").run()
    text = next(m.value for m in at.markdown if "filters" in m.value)
    seed = at.session_state["quiz.seeds"]["conv_arithmetic/conv-output"]
    q = quiz.question("conv_arithmetic", "conv-output", "en", seed)
    assert q.text in text
    at.number_input(key="quiz.conv_arithmetic/conv-output.out").set_value(q.answers["out"])
    at.number_input(key="quiz.conv_arithmetic/conv-output.params").set_value(q.answers["params"])
    at.button(key="FormSubmitter:quiz.form.conv_arithmetic/conv-output-Check").click().run()
    assert at.success and not at.exception
    at.button(key="quiz.new.conv_arithmetic/conv-output").click().run()
    assert "conv_arithmetic/conv-output" not in at.session_state["quiz.results"]
