import streamlit as st

from ui import receptive
from ui.frame import in_frame
from ui.i18n import t
from ui.lesson import section

in_frame()
section("receptive_fields", "intro", level="title")
receptive.stacking()
receptive.resnet_stages()
receptive.effective_field()
st.info(t("lesson.demo_pending"), icon="🚧")
