"""The serving runtime: where computation runs, the pretrained networks, and classifying a picture.

* ``device``, ``seeding``, ``memo``: the process's device and threads, seeded weights under
  concurrency, values computed once however many sessions ask.
* ``networks``: one record per pretrained network; ``weights``: their checkpoints, verified;
  ``zoo``: the shared, read-only models; ``inference`` and ``cam``: one forward pass that gives
  every stage, and Grad-CAM from it; ``images``, ``examples``, ``classify``: a picture from
  bytes to both networks' top-5.
"""
