"""AppTests of the classify page: examples, uploads good and bad, the picture kept across pages."""

import io

import pytest
from PIL import Image


def _png(color=(200, 40, 40), size=(80, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_built_in_example_is_classified_by_both_networks_untrained_and_labelled(lang, open_page):
    at = open_page("classify", lang=lang)
    assert not at.exception
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(charts) >= 3  # the top-5 pair and one Grad-CAM overlay per network
    assert '"ResNet18"' in charts[0] and '"DenseNet121"' in charts[0]
    assert len([w for w in at.warning if "python -m models.weights fetch" in w.value]) == 2  # untrained, said twice
    assert len(at.metric) == 2 and all(m.value.endswith(" ms") for m in at.metric)
    step_captions = " ".join(c.value for c in at.caption)
    assert "3×224×224" in step_captions and "3×256×" in step_captions


def test_an_upload_is_classified_and_its_name_is_shown_literally(open_page):
    at = open_page("classify")
    at.radio(key="_picture.source").set_value("upload").run()
    assert at.info  # asks for a picture
    name = "**bold** <img src=x onerror=alert(1)>.png"
    at.get("file_uploader")[0].upload(name, _png(), "image/png").run()
    assert not at.exception
    assert any(name in x.value for x in at.text)  # st.text: literal, never Markdown or HTML
    assert not any("<img" in m.value for m in at.markdown)
    assert at.get("plotly_chart")


@pytest.mark.parametrize("data, phrase", [
    (b"", "empty"),
    (b"just text, renamed to .jpg", "not an image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG files can't be read"),
])
def test_bad_uploads_get_a_sentence_and_nothing_else_breaks(data, phrase, open_page):
    at = open_page("classify")
    at.radio(key="_picture.source").set_value("upload").run()
    at.get("file_uploader")[0].upload("photo.jpg", data, "image/jpeg").run()
    assert not at.exception
    assert any(phrase in e.value for e in at.error)
    assert not at.get("plotly_chart")
    at.radio(key="_picture.source").set_value("example").run()  # the page still works afterwards
    assert not at.exception and at.get("plotly_chart")


def test_the_uploaded_picture_survives_a_page_switch(open_page):
    at = open_page("classify")
    at.radio(key="_picture.source").set_value("upload").run()
    at.get("file_uploader")[0].upload("mine.png", _png((20, 200, 20)), "image/png").run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/classify.py").run()
    assert not at.exception
    assert any("mine.png" in x.value for x in at.text)
    assert at.get("plotly_chart")
    at.button(key="picture.upload.forget").click().run()
    assert not any("mine.png" in x.value for x in at.text) and at.info


def test_class_picker_and_stage_slider_redraw_without_error(open_page):
    at = open_page("classify")
    at.selectbox(key="_classify.cam_class").set_value(281).run()  # "tabby cat"
    assert any("tabby" in c.value for c in at.caption)
    at.slider(key="_classify.opacity").set_value(0.8).run()
    at.select_slider(key="_classify.stage.resnet18").set_value("layer1").run()
    assert any("64" in c.value and "56×56" in c.value for c in at.caption)
    assert not at.exception


def test_a_camera_picture_is_classified(open_page):
    at = open_page("classify")
    at.radio(key="_picture.source").set_value("camera").run()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(buf, "JPEG")
    at.get("camera_input")[0].set_value(("image.jpg", buf.getvalue(), "image/jpeg")).run()
    assert not at.exception
    assert any("JPEG, 64×48" in c.value for c in at.caption)
    assert at.get("plotly_chart")
