# mutation: leaves the leaf at v - h
original = leaf.value
leaf.value = original + h
up = f()
leaf.value = original - h
down = f()
return (up - down) / (2 * h)
