"""Change counters: how the engines and drawings notice that a node changed.

The fast engines keep copies of what the node objects hold (parameter values,
learning rates, gradients), and a drawing marks a gradient *stale* once a leaf
changed after it was computed. Both need to know, cheaply, whether anything
changed since they last looked. Each counter here goes up by one on every change
of its kind; a reader keeps the number it last saw and compares.

* :data:`VALUES`, the value clock: every new leaf value (layer 1 ticks it).
* :data:`RATES`: every setting of a parameter's learning rate (layer 2).
* :data:`GRAD_WRITES`: every write of a gradient, so that of two writers (a node's
  own ``gradient`` and a compiled program writing many at once) the later wins.

Each is a one-element list, so generated code can read and bump it in place.
"""

from __future__ import annotations

VALUES = [0]
RATES = [0]
GRAD_WRITES = [0]


def tick() -> int:
    """Advance the value clock (a leaf's value changed) and return the new tick."""
    VALUES[0] += 1
    return VALUES[0]


def now() -> int:
    """The current value-change tick."""
    return VALUES[0]
