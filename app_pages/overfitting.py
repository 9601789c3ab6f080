from ui.lesson import section
from ui.lessons import overfitting

section("overfitting", "intro", level="title")
if section("overfitting", "side-by-side"):
    overfitting.side_by_side()
if section("overfitting", "make-it-happen"):
    overfitting.make_it_happen()
if section("overfitting", "cure"):
    overfitting.cure()
if section("overfitting", "splits"):
    overfitting.splits()
