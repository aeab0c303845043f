# style: a loop over the two shifts, the differences kept in a list
start = leaf.value
values = []
try:
    for shift in (h, -h):
        leaf.value = start + shift
        values.append(f())
finally:
    leaf.value = start
return (values[0] - values[1]) / (h + h)
