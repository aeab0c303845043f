# style: v - h first, restoring in an except-and-re-raise instead of finally
saved = leaf.value
try:
    leaf.value = saved - h
    low = f()
    leaf.value = saved + h
    high = f()
except BaseException:
    leaf.value = saved
    raise
leaf.value = saved
return high / (2 * h) - low / (2 * h)
