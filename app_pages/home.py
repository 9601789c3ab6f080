import streamlit as st

from ui.frame import ICONS, PAGES
from ui.i18n import t
from ui.lesson import render

st.title(t("app.title"))
st.markdown(t("app.tagline"))
render("home")
st.subheader(t("home.lessons"))
st.caption(t("home.how"))
for group, lesson in PAGES[1:]:
    if group == "teacher":  # the teacher finds their page in the sidebar; students need not
        continue
    st.page_link(f"app_pages/{lesson}.py", label=t(f"page.{lesson}"), icon=ICONS[lesson])
