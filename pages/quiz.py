from ui import quiz
from ui.frame import in_frame
from ui.lesson import section

in_frame()
section("quiz", "intro", level="title")
quiz.scores()
quiz.lesson_quiz()
