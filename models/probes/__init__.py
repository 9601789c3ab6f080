"""Measurements on real torchvision networks, for the lessons: every layer's shape beside the
formula (``layer_table``), the residual block switched off and its gradients (``residual``), and
DenseNet's channel bookkeeping and feature reuse (``dense``)."""
