"""One view module per lesson of the course (``lessons/course.toml``), named after it: the
widgets and figures its page (``app_pages/<lesson>.py``) lays out between the lesson's sections.

A lesson's view never imports another lesson's view: what two lessons share lives in ``ui/``
(``ui.analysis``, ``ui.grid``, ``ui.lab_runs``, ``ui.task_views`` …), and
``tests/test_architecture.py`` keeps it so.
"""
