"""All computation of CNN Lab, by concern: maths, runtime, training, probes, content
(docs/architecture.md, "Layout").

Importing ``models`` before torch sets ``OMP_WAIT_POLICY=PASSIVE`` (unless it is set already):
torch's OpenMP threads then sleep when an operation ends instead of spinning for a while. On a
few cores, spinning threads take the cores from whatever runs next: ONNX Runtime's forward after
torch preprocessing measured 35 ms instead of 26 ms, and thirty sessions' reruns fight the same
way. Training throughput changed by less than the noise (``bench.train_throughput``).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch's OpenMP starts
