from ui import dense, picture
from ui.classify import analyse
from ui.frame import in_frame
from ui.lesson import section

in_frame()
section("dense_connectivity", "intro", level="title")
if section("dense_connectivity", "bookkeeping"):
    dense.bookkeeping()
live = section("dense_connectivity", "live")
chosen = picture.choose() if live else picture.current()
result = analyse(chosen) if chosen else None  # once: a file that cannot be read is said once
if live:
    dense.live(result)
if section("dense_connectivity", "reuse"):
    dense.reuse()
if section("dense_connectivity", "compare"):
    dense.compare(result)
if section("dense_connectivity", "demo"):
    dense.small_demo()
