"""Benchmarks: autograd-tiny against micrograd==0.1.0 and a hand-written plain-float floor.

Run ``python -m benchmarks.run`` (``make bench``); ``--quick`` for tiny sizes.
"""
