"""Training: the small networks (``nets``), the data sets (``datasets``), one run's loop
(``train``), the lessons' training tasks (``tasks``) and the job runner that owns every run
(``jobs``)."""
