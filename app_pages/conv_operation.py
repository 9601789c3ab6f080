from ui import task_views
from ui.lesson import section
from ui.lessons import conv_operation

if section("conv_operation", "intro", level="title"):
    conv_operation.sliding_window_demo()
    conv_operation.classic_kernels()
    conv_operation.dense_vs_conv()
    conv_operation.resnet_first_layer()
if section("conv_operation", "demo"):
    task_views.kernel_fit()
