from ui.lessons import quiz
from ui.lesson import section

section("quiz", "intro", level="title")
quiz.scores()
quiz.lesson_quiz()
