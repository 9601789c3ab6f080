from ui.lesson import section
from ui.lessons import conv_arithmetic

if section("conv_arithmetic", "intro", level="title"):
    conv_arithmetic.calculator()
    conv_arithmetic.real_networks()
    conv_arithmetic.family()
if section("conv_arithmetic", "demo"):
    conv_arithmetic.stride_demo()
