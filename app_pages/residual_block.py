from ui.lesson import section
from ui.lessons import residual_block

section("residual_block", "intro", level="title")
if section("residual_block", "block"):
    residual_block.block()
if section("residual_block", "degradation"):
    residual_block.degradation()
if section("residual_block", "family"):
    residual_block.family()
