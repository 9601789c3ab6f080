import streamlit as st

from ui import lab_runs
from ui.i18n import t
from ui.lesson import section
from ui.lessons import training_lab

lab_runs.record_finished()
if section("training_lab", "intro", level="title"):
    training_lab.presets()
    config = training_lab.settings()
    training_lab.start_button(config)
    lab_runs.live_panel()
    st.header(t("train.results"), anchor="results")
    lab = lab_runs.read()  # read once, shown three ways
    training_lab.results_table(lab)
    training_lab.try_model(lab)
    training_lab.mistakes_section(lab)
    training_lab.learned_section(lab)
    training_lab.race_section(config)

for anchor in ("optimizers", "schedules", "batchnorm", "curves"):
    section("training_lab", anchor, level="subheader")
