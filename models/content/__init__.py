"""Content glue: the numbers the lesson texts cite (``facts``) and the quizzes (``quiz``),
both computed by the lessons' own functions."""
