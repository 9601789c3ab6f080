from ui import picture
from ui.analysis import analyse
from ui.lesson import section
from ui.lessons import dense_connectivity

section("dense_connectivity", "intro", level="title")
if section("dense_connectivity", "bookkeeping"):
    dense_connectivity.bookkeeping()
live = section("dense_connectivity", "live")
chosen = picture.choose() if live else picture.current()
result = analyse(chosen) if chosen else None  # once: a file that cannot be read is said once
if live:
    dense_connectivity.live(result)
if section("dense_connectivity", "reuse"):
    dense_connectivity.reuse()
if section("dense_connectivity", "compare"):
    dense_connectivity.compare(result)
if section("dense_connectivity", "demo"):
    dense_connectivity.small_demo()
