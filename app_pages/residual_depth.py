from ui import picture
from ui.lesson import section
from ui.lessons import residual_depth

section("residual_depth", "intro", level="title")
if section("residual_depth", "gradients"):
    residual_depth.gradients()
if section("residual_depth", "ablation"):
    residual_depth.ablation(picture.choose())
