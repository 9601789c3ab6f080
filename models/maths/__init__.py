"""The lessons' maths: small pure functions a student can read in one sitting.

Output sizes, parameters and multiply-adds of a convolution (``conv_arithmetic``), receptive
fields (``receptive_field``), the classic hand-made kernels (``kernels``) and the parameter
counts of residual and dense blocks (``blocks``). Each formula is written once, with the paper's
symbols, and tested against what ``torch.nn`` really builds. Nothing here loads a network.
"""
