from ui.lesson import section
from ui.lessons import quiz

section("quiz", "intro", level="title")
pushed = quiz.pushed()  # the question the teacher pushed to the class, on top
quiz.scores()
quiz.lesson_quiz(pushed)
