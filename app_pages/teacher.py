from ui.lesson import section
from ui.lessons import teacher

section("teacher", "intro", level="title")
if teacher.unlocked():
    teacher.lead_the_class()
    teacher.live()
    teacher.leaderboard()
    teacher.quiz_results()
    teacher.poll_results()
    teacher.export_and_reset()
