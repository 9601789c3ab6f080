from ui import demo, operation
from ui.frame import in_frame
from ui.lesson import section

in_frame()
if section("conv_operation", "intro", level="title"):
    operation.sliding_window_demo()
    operation.classic_kernels()
    operation.dense_vs_conv()
    operation.resnet_first_layer()
if section("conv_operation", "demo"):
    demo.kernel_fit()
