from ui.lesson import section
from ui.lessons import pooling

section("pooling", "intro", level="title")
if section("pooling", "step"):
    pooling.step_by_step()
if section("pooling", "shift"):
    pooling.shift()
if section("pooling", "pipeline"):
    pooling.whole_pipeline()
if section("pooling", "activations"):
    pooling.activation_functions()
if section("pooling", "demo"):
    pooling.activation_demo()
