from ui import picture
from ui.analysis import analyse
from ui.lesson import section
from ui.lessons import classify as view

intro = section("classify", "intro", level="title")
chosen = picture.choose() if intro else picture.current()
result = analyse(chosen) if chosen else None
if result:
    if intro:
        view.describe(chosen, result)
    if section("classify", "preprocessing"):
        view.preprocessing(result)
    if section("classify", "predictions"):
        view.predictions(result)
    if section("classify", "cam"):
        view.where_it_looks(result)
    if section("classify", "inside"):
        view.feature_maps(result)
