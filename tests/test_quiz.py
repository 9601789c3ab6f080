"""Quiz files valid in both languages; generated answers checked against PyTorch; the page keeps results."""

import math
import random
import re
import tomllib

import pytest
import torch
import torch.nn.functional as F
from torchvision.models.densenet import _DenseBlock
from torchvision.models.resnet import BasicBlock

from lessons import LANGUAGES, ROOT, lesson_ids, sections
from models.content import quiz
from models.store import database

TEACHING = [lesson for lesson in lesson_ids() if lesson not in ("home", "quiz", "teacher")]


def test_every_lesson_has_a_quiz_with_at_least_five_questions():
    assert set(quiz.quiz_lessons()) == set(TEACHING)
    for lesson in TEACHING:
        assert len(quiz.question_ids(lesson)) >= 5, lesson
    # the seed's five review questions and five more, in the two residual lessons
    assert len(quiz.question_ids("residual_block")) + len(quiz.question_ids("residual_depth")) >= 10


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
    assert choice.answer == "c2" and choice.choices["c2"] == "304"
    assert choice.check("c2") and not choice.check("c1") and not choice.check(2)  # an id, never a place
    cosine = quiz.question("training_lab", "cosine", "en", seed=2)
    assert cosine.check({"lr": round(cosine.answers["lr"], 3)})
    assert not cosine.check({"lr": cosine.answers["lr"] + 0.002})


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_answers_get_feedback_and_survive_a_page_switch(lang, open_page):
    at = open_page("quiz", lang=lang)
    assert not at.exception
    at.selectbox(key="_quiz.lesson").set_value("conv_arithmetic").run()
    at.radio(key="quiz.conv_arithmetic/seed-304.choice").set_value("c2")  # in a form: sent with its submit
    check = "Check" if lang == "en" else "확인"
    at.button(key=f"FormSubmitter:quiz.form.conv_arithmetic/seed-304-{check}").click().run()
    assert at.success and "304" in at.success[0].value
    at.radio(key="quiz.conv_arithmetic/stride-two.choice").set_value("c0")
    at.button(key=f"FormSubmitter:quiz.form.conv_arithmetic/stride-two-{check}").click().run()
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


# --- the right choice gives itself away by nothing: not its length, not its place ----------------

def _choice_questions() -> list[dict]:
    out = []
    for lesson in TEACHING:
        with open(ROOT / lesson / "quiz.toml", "rb") as f:
            out += [q for q in tomllib.load(f)["questions"] if q["kind"] == "choice"]
    return out


def _strictly_longest_share(questions, lang: str) -> float:
    """The share of the questions whose right choice has more characters than every other."""
    def longest(q):
        lengths = [len(c) for c in q[lang]["choices"]]
        return all(lengths[q["answer"]] > n for i, n in enumerate(lengths) if i != q["answer"])

    return sum(longest(q) for q in questions) / len(questions)


def test_the_measures_notice_a_quiz_that_gives_its_answer_away():
    tell = [{"answer": 1, "en": {"choices": ["no", "the long right one", "no", "nope"]}}] * 3
    assert _strictly_longest_share(tell, "en") == 1
    assert _largest_position_share(tell) == 1


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_right_choice_is_seldom_the_longest(lang):
    questions = _choice_questions()
    assert len(questions) >= 40
    share = _strictly_longest_share(questions, lang)
    assert share <= 1 / 3, f"{lang}: the right choice is the strictly longest in {share:.0%} of the questions"


def _largest_position_share(questions) -> float:
    counts = {}
    for q in questions:
        counts[q["answer"]] = counts.get(q["answer"], 0) + 1
    return max(counts.values()) / len(questions)


def test_no_position_of_the_right_choice_dominates_the_files():
    """Shuffled on screen, but the files stay honest too: no place holds 40% of the right answers
    (four choices each: 25% if spread evenly)."""
    questions = _choice_questions()
    assert {len(q["en"]["choices"]) for q in questions} == {4}
    assert _largest_position_share(questions) <= 0.4
    assert {q["answer"] for q in questions} == {0, 1, 2, 3}


# --- choices in each student's own order, answers kept by id ----------------------------------

def _questions_with_choices():
    return [quiz.question(lesson, qid, "en") for lesson in TEACHING for qid in quiz.question_ids(lesson)
            if not quiz.question(lesson, qid, "en").numeric]


def test_each_student_has_an_order_of_their_own_and_keeps_it():
    questions = _questions_with_choices()
    for q in questions:
        order = quiz.display_order(q, "student-a")
        assert sorted(order) == sorted(q.choices) == [quiz.choice_id(i) for i in range(len(q.choices))]
        assert quiz.display_order(q, "student-a") == order  # the same on every visit
        ko = quiz.question(q.lesson, q.id, "ko")
        assert quiz.display_order(ko, "student-a") == order  # and in the other language
    differ = [q.id for q in questions if quiz.display_order(q, "student-a") != quiz.display_order(q, "student-b")]
    assert len(differ) > len(questions) / 2
    assert {quiz.display_order(q, "student-a").index(q.answer) for q in questions} == {0, 1, 2, 3}


def test_a_stored_answer_reads_in_the_readers_language_however_it_was_stored():
    right_en = quiz.question("conv_arithmetic", "stride-two", "en").choices["c3"]
    right_ko = quiz.question("conv_arithmetic", "stride-two", "ko").choices["c3"]
    assert quiz.given_text("conv_arithmetic", "stride-two", "c3", "ko") == right_ko  # stored as an id
    assert quiz.given_text("conv_arithmetic", "stride-two", right_ko, "en") == right_en  # an old row: the text
    assert quiz.choice_for("conv_arithmetic", "stride-two", right_en) == "c3"
    reworded = "A choice that has since been reworded."
    assert quiz.given_text("conv_arithmetic", "stride-two", reworded, "en") == reworded  # shown as stored
    assert quiz.given_text("conv_arithmetic", "conv-output", "W′ = 30", "ko") == "W′ = 30"  # numeric: as stored
    assert quiz.given_text("conv_arithmetic", "no-such-question", "c1", "en") == "c1"


def _radio_orders(at, lesson: str) -> dict[str, list[str]]:
    return {qid: at.radio(key=f"quiz.{lesson}/{qid}.choice").options for qid in quiz.question_ids(lesson)
            if not quiz.question(lesson, qid, "en").numeric}


def test_the_page_shows_each_student_their_order_and_checks_the_choice_by_id(open_page):
    lesson = "residual_block"
    first, second = open_page("quiz"), open_page("quiz")  # two browsers: two students
    orders = []
    for at in (first, second):
        at.selectbox(key="_quiz.lesson").set_value(lesson).run()
        student = at.session_state["_identity.student"].id
        shown = _radio_orders(at, lesson)
        for qid, options in shown.items():
            q = quiz.question(lesson, qid, "en")
            assert options == [q.choices[c] for c in quiz.display_order(q, student)]
        orders.append(shown)
    assert orders[0] != orders[1]  # 8 questions of 24 orders each: the same for both, never in practice
    first.switch_page("app_pages/home.py").run()
    first.switch_page("app_pages/quiz.py").run()
    assert _radio_orders(first, lesson) == orders[0]  # the same student, the same order
    q = quiz.question(lesson, "skip-why", "en")
    for at in (first, second):  # the right choice, wherever each student sees it
        student = at.session_state["_identity.student"].id
        at.radio(key=f"quiz.{lesson}/skip-why.choice").set_value(q.answer)
        at.button(key=f"FormSubmitter:quiz.form.{lesson}/skip-why-Check").click().run()
        assert at.success and q.choices[q.answer] in at.success[0].value and not at.error
        stored = [a for a in database.store().answers(student) if a.question == "skip-why"]
        assert [a.given for a in stored] == [q.answer] and stored[0].correct  # the id, not a place
    wrong = next(c for c in q.choices if c != q.answer)
    second.radio(key=f"quiz.{lesson}/skip-why.choice").set_value(wrong)
    second.button(key=f"FormSubmitter:quiz.form.{lesson}/skip-why-Check").click().run()
    assert second.error and q.choices[wrong] in second.error[0].value


def test_an_answer_stored_as_text_before_ids_still_shows_as_its_choice(open_page):
    at = open_page("quiz", lang="ko")
    student = at.session_state["_identity.student"].id
    old = quiz.question("conv_arithmetic", "stride-two", "en").choices["c0"]  # stored in English, then
    database.store().save_answer(student, "conv_arithmetic", "stride-two", old, False, 4.0)
    del at.session_state["quiz.results"]  # read this student's answers from the store again
    at.selectbox(key="_quiz.lesson").set_value("conv_arithmetic").run()
    assert not at.exception
    assert any(quiz.question("conv_arithmetic", "stride-two", "ko").choices["c0"] in e.value for e in at.error)


def test_answers_to_a_question_that_moved_lessons_do_not_count_in_the_score(open_page):
    """``ensemble`` moved from residual_block to residual_depth: a student who answered it there
    before, and every question the lesson has now, is scored on the lesson's questions only."""
    at = open_page("quiz")
    student = at.session_state["_identity.student"].id
    for qid in [*quiz.question_ids("residual_block"), "ensemble"]:
        database.store().save_answer(student, "residual_block", qid, "c0", True, 2.0)
    del at.session_state["quiz.results"]  # read this student's answers from the store again
    at.selectbox(key="_quiz.lesson").set_value("residual_block").run()
    assert not at.exception  # st.progress above 1 raised
    total = len(quiz.question_ids("residual_block"))
    assert at.get("progress")[0].proto.value == 100 and f"{total}" in at.get("progress")[0].proto.text
