# rule: restores the value only when f does not raise (no finally)
original = leaf.value
leaf.value = original + h
up = f()
leaf.value = original - h
down = f()
leaf.value = original
return (up - down) / (2 * h)
