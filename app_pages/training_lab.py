import streamlit as st

from ui import training_lab
from ui.i18n import t
from ui.lesson import section

training_lab.record_finished()
if section("training_lab", "intro", level="title"):
    training_lab.presets()
    config = training_lab.settings()
    training_lab.start_button(config)
    training_lab.live_panel()
    st.header(t("train.results"), anchor="results")
    training_lab.results_table()
    training_lab.try_model()
    training_lab.mistakes_section()

for anchor in ("optimizers", "schedules", "batchnorm", "curves"):
    section("training_lab", anchor, level="subheader")
