from ui import receptive
from ui.frame import in_frame
from ui.lesson import section

in_frame()
if section("receptive_fields", "intro", level="title"):
    receptive.stacking()
    receptive.resnet_stages()
    receptive.effective_field()
if section("receptive_fields", "demo"):
    receptive.stack_demo()
