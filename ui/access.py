"""What every page needs to be usable by every student, beyond what Streamlit does by itself.

WCAG 2.1 AA, checked by axe-core in Chromium (``tests/test_accessibility.py``; the result rule
by rule is in docs/accessibility.md). Two parts, both sent by the frame on every run:

* **STYLE**, plain CSS: captions at full contrast, a focus ring that is always visible, no
  motion for students who asked their system for less, and no page wider than a phone.
* **SCRIPT**, a few lines of JavaScript for what only the browser's document can be told:
  - the page's language. Streamlit's ``index.html`` says ``<html lang="en">`` whatever the
    app's language (streamlit/streamlit#15726), so a screen reader read Korean pages with an
    English voice. The script sets ``document.documentElement.lang`` from a marker element
    that carries the session's language (``data-lang``), and sets it again after every change
    of the page, since a rerun or a page switch may redraw the marker.
  - the sidebar's navigation list. Streamlit nests each group's ``<li>`` items in a ``<div>``
    inside the ``<ul>`` (26 ``list`` and 338 ``listitem`` violations over 26 pages): the script
    makes the ``<ul>`` a neutral container and each group a list of its own, named after its
    header.
  - scrollable regions (a wide equation, a long code line) get ``tabindex="0"``, so that a
    keyboard can reach them and scroll them with the arrow keys.

The script changes attributes only, never the elements React draws, and runs again whenever
the document changes (a ``MutationObserver``), so Streamlit's redraws cannot undo it.
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import lang

STYLE = """<style>
/* Captions: Streamlit draws them in a faded grey of 3.9:1 on white; WCAG asks 4.5:1. The text's
   own colour at 80% opacity gives 6.9:1 on white and 11:1 on the dark theme's background. */
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.8; }
/* Focus always visible, in the text's colour (high contrast on either theme). */
a:focus-visible, button:focus-visible, summary:focus-visible, [tabindex]:focus-visible,
input:focus-visible, textarea:focus-visible, [role="slider"]:focus-visible {
  outline: 2px solid currentColor !important; outline-offset: 2px;
}
/* Every target at least 24×24 CSS px (WCAG 2.5.8): the sidebar's links and the radio
   buttons' and checkboxes' rows. */
[data-testid="stSidebarNavLink"], [data-baseweb="radio"], [data-baseweb="checkbox"] { min-height: 24px; }
/* A phone (390 px) or 200% zoom: nothing may make the page wider than the window. Wide
   content (tables, code, equations) scrolls inside its own box instead. */
[data-testid="stMain"] { overflow-x: hidden; }
.katex-display, pre { max-width: 100%; overflow-x: auto; }
/* Less motion when the student's system asks for it: no transitions, no animations, and the
   convolution's Play (which steps the window every 0.8 s) gives way to its slider. */
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after {
    animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important;
  }
  .st-key-conv-play_button { display: none !important; }
}
</style>"""

SCRIPT = """<span data-cnnlab-lang="%s" hidden></span><script>
(() => {
  const fix = () => {
    const marker = document.querySelector("[data-cnnlab-lang]");
    const lang = marker && marker.getAttribute("data-cnnlab-lang");
    if (lang && document.documentElement.lang !== lang) document.documentElement.lang = lang;
    const nav = document.querySelector('[data-testid="stSidebarNavItems"]');
    if (nav) {
      if (nav.getAttribute("role") !== "none") nav.setAttribute("role", "none");
      for (const group of nav.children) {
        if (group.tagName === "LI") continue;
        if (group.getAttribute("role") !== "list") group.setAttribute("role", "list");
        const header = group.querySelector("header");
        if (header) {
          if (header.getAttribute("role") !== "none") header.setAttribute("role", "none");
          const name = header.textContent.trim();
          if (group.getAttribute("aria-label") !== name) group.setAttribute("aria-label", name);
        }
      }
    }
    for (const box of document.querySelectorAll("pre, .katex-display")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      else if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    }
  };
  fix();
  if (!window.cnnlabAccess) {
    let queued = false;
    const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); } };
    window.cnnlabAccess = new MutationObserver(later);
    window.cnnlabAccess.observe(document.body, {childList: true, subtree: true, characterData: true});
    window.addEventListener("resize", later);
  }
})();
</script>"""


def apply() -> None:
    """Send the style and the script; called by the frame before the page runs."""
    st.html(STYLE)  # style only: Streamlit puts it out of the layout
    with st.sidebar:
        st.html(SCRIPT % lang(), unsafe_allow_javascript=True)
