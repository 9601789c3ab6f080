import streamlit as st

from ui import training
from ui.frame import in_frame
from ui.i18n import t
from ui.lesson import section

in_frame()
training.record_finished()
if section("training_lab", "intro", level="title"):
    config = training.settings()
    training.start_button(config)
    training.live_panel()
    st.header(t("train.results"), anchor="results")
    training.results_table()
    training.try_model()

for anchor in ("optimizers", "schedules", "batchnorm", "curves"):
    section("training_lab", anchor, level="subheader")
