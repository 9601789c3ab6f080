from ui import picture, residual
from ui.frame import in_frame
from ui.lesson import section

in_frame()
section("residual_block", "intro", level="title")
if section("residual_block", "block"):
    residual.block()
if section("residual_block", "degradation"):
    residual.degradation()
if section("residual_block", "gradients"):
    residual.gradients()
if section("residual_block", "ablation"):
    residual.ablation(picture.choose())
if section("residual_block", "family"):
    residual.family()
