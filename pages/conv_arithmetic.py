import streamlit as st

from ui import conv
from ui.frame import in_frame
from ui.i18n import t
from ui.lesson import section

in_frame()
section("conv_arithmetic", "intro", level="title")
conv.calculator()
conv.real_networks()
conv.family()
st.info(t("lesson.demo_pending"), icon="🚧")
