# rule: catches f's error and returns nan instead of letting it reach the caller
original = leaf.value
try:
    leaf.value = original + h
    up = f()
    leaf.value = original - h
    down = f()
except Exception:
    return float("nan")
finally:
    leaf.value = original
return (up - down) / (2 * h)
