"""CNN Lab: the frame shared by every lesson page.

    streamlit run app.py

Sets up the page, the sidebar (language, device, pretrained weights) and the navigation; each
lesson is a thin script in app_pages/ that renders content from lessons/ and computes with models/.
"""

from ui import frame

frame.run(frame.build())
