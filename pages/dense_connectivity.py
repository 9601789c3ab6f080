from ui import dense, picture
from ui.frame import in_frame
from ui.lesson import section

in_frame()
section("dense_connectivity", "intro", level="title")
if section("dense_connectivity", "bookkeeping"):
    dense.bookkeeping()
live = section("dense_connectivity", "live")
chosen = picture.choose() if live else picture.current()
if live:
    dense.live(chosen)
if section("dense_connectivity", "reuse"):
    dense.reuse()
if section("dense_connectivity", "compare"):
    dense.compare(chosen)
if section("dense_connectivity", "demo"):
    dense.small_demo()
