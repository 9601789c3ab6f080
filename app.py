"""CNN Lab: the frame shared by every lesson page.

    streamlit run app.py

Sets up the page, the sidebar (language, device, pretrained weights) and the navigation; each
lesson is a thin script in pages/ that renders content from lessons/ and computes with models/.
"""

import streamlit as st

from ui import frame

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")
frame.sidebar()
st.navigation(frame.navigation()).run()
