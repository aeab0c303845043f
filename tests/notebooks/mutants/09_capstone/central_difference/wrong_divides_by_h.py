    original = leaf.value
    try:
        leaf.value = original + h
        up = f()
        leaf.value = original - h
        down = f()
    finally:
        leaf.value = original
    return (up - down) / h
