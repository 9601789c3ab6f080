import streamlit as st

from ui import operation
from ui.frame import in_frame
from ui.i18n import t
from ui.lesson import section

in_frame()
section("conv_operation", "intro", level="title")
operation.sliding_window_demo()
operation.classic_kernels()
operation.dense_vs_conv()
operation.resnet_first_layer()
st.info(t("lesson.demo_pending"), icon="🚧")
