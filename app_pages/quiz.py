from ui.lesson import section
from ui.lessons import quiz

section("quiz", "intro", level="title")
quiz.scores()
quiz.lesson_quiz()
