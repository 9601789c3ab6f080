from ui.frame import in_frame
from ui.lesson import pending

in_frame()
pending("quiz")
