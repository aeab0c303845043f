# rule: recursion, which fails on a chain deeper than Python's recursion limit
for parent in node._parents:
    if parent._valid:
        parent._valid = False
        invalidate_above(parent)
