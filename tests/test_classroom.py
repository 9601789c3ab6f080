"""Presentation view and predict-before-reveal, as a teacher's link turns them on."""

import pytest

from ui import literal


def _headers(at) -> list[str]:
    return [h.value for h in at.header]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_presentation_view_shows_one_section_per_screen(lang, open_page):
    at = open_page("residual_block", present="true", lang=lang)
    assert not at.exception
    assert len(at.title) == 1 and _headers(at) == []  # the first section only
    assert not at.get("plotly_chart")  # its widgets belong to later sections
    at.button(key="present.next").click().run()
    assert not at.title and len(_headers(at)) == 1 and at.get("plotly_chart")  # "Inside the block"
    for _ in range(10):  # to the end: Next is disabled on the last screen
        if at.button(key="present.next").disabled:
            break
        at.button(key="present.next").click().run()
    assert not at.exception and at.button(key="present.next").disabled
    assert at.query_params["present"] == "true"
    at.button(key="present.leave").click().run()
    assert len(at.title) == 1 and len(_headers(at)) == 3  # the whole lesson again: block, degradation, family
    assert "present" not in at.query_params


def test_predict_before_reveal_hides_the_output_size_until_a_guess(open_page):
    at = open_page("conv_arithmetic", predict="true")
    assert not at.exception
    assert not at.metric  # the output size, parameters … are hidden
    at.text_input(key="predict.arith.32.5.0.1.1").input("28")
    at.button(key="FormSubmitter:predict.form.arith.32.5.0.1.1-Commit my guess").click().run()
    assert [m.value for m in at.metric][:2] == ["28×28×4", "304"]
    assert any("28" in i.value for i in at.info)  # the guess stays beside the answer
    at.number_input(key="_arith.s").set_value(2).run()  # a new setting asks again
    assert not at.metric


def test_predict_before_reveal_on_the_classify_page(open_page):
    at = open_page("classify", predict="true")
    def top5_shown():
        return any('"ResNet18"' in c.proto.spec and '"DenseNet121"' in c.proto.spec for c in at.get("plotly_chart"))

    assert not at.exception and not top5_shown()
    key = next(f.key for f in at.text_input if f.key.startswith("predict.classify."))
    guess = "a **cat** ![x](http://127.0.0.1:9/x.png)"  # typed text: shown as typed, never as Markdown
    at.text_input(key=key).input(guess)
    form = key.replace("predict.", "predict.form.", 1)
    at.button(key=f"FormSubmitter:{form}-Commit my guess").click().run()
    assert not at.exception
    assert any(literal.markdown(guess) in i.value for i in at.info)
    assert top5_shown()


def test_degradation_demo_asks_for_a_guess_first(open_page):
    at = open_page("residual_block", predict="true")
    assert not [b for b in at.button if b.key == "demo.degradation.start"]
    at.radio(key="predict.res.degradation").set_value("plain-56")
    at.button(key="FormSubmitter:predict.form.res.degradation-Commit my guess").click().run()
    assert [b for b in at.button if b.key == "demo.degradation.start"]
