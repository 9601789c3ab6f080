from ui import classify as view
from ui import picture
from ui.frame import in_frame
from ui.lesson import section

in_frame()
section("classify", "intro", level="title")
chosen = picture.choose()
result = view.analyse(chosen) if chosen else None
if result:
    view.describe(chosen, result)
    section("classify", "preprocessing")
    view.preprocessing(result)
    section("classify", "predictions")
    view.predictions(result)
    section("classify", "cam")
    view.where_it_looks(result)
    section("classify", "inside")
    view.feature_maps(result)
