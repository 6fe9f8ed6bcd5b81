"""The benchmark of issue 7: a generator of fictional articles (`bench.generate`) and the measurements (`bench.run`).

Not part of the engine and not installed with it; run from the project root (`python -m bench.run`).
"""
