from ui.lesson import section
from ui.lessons import receptive_fields

if section("receptive_fields", "intro", level="title"):
    receptive_fields.stacking()
    receptive_fields.resnet_stages()
    receptive_fields.effective_field()
if section("receptive_fields", "demo"):
    receptive_fields.stack_demo()
