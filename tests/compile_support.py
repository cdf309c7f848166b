"""What the compile tests share: the hypothesis budget under mutation testing and a bitwise
float comparison written independently of the code generator's own."""

from __future__ import annotations

import math
import os


def examples(n: int) -> int:
    """n, or 20 while mutation testing runs this test once per mutant."""
    return 20 if os.environ.get("MUTANT_UNDER_TEST") else n


def same(a: float, b: float) -> bool:
    """Bitwise equal floats: the same number and the same sign of zero, or both NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
