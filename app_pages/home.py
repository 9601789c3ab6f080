import streamlit as st

from lessons import course
from ui.i18n import t
from ui.lesson import render

st.title(t("app.title"))
st.markdown(t("app.tagline"))
render("home")
st.subheader(t("home.lessons"))
st.caption(t("home.how"))
for lesson in course()[1:]:  # every lesson after this one
    if lesson.group == "teacher":  # the teacher finds their page in the sidebar; students need not
        continue
    st.page_link(f"app_pages/{lesson.id}.py", label=t(f"page.{lesson.id}"), icon=lesson.icon)
