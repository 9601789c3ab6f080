from ui import conv
from ui.frame import in_frame
from ui.lesson import section

in_frame()
if section("conv_arithmetic", "intro", level="title"):
    conv.calculator()
    conv.real_networks()
    conv.family()
if section("conv_arithmetic", "demo"):
    conv.stride_demo()
