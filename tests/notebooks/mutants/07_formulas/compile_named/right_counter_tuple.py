# style: collections.Counter for the duplicates, a tuple of names, enumerate to rename
from collections import Counter

found = tuple(model.find_input_nodes())
given = tuple(names)
if len(given) != len(found):
    raise ValueError(f"{len(given)} names for {len(found)} inputs: give exactly one per input")
twice = [name for name, k in Counter(given).items() if k > 1]
if twice:
    raise ValueError(f"each name once, please; repeated: {', '.join(twice)}")
for i, node in enumerate(found):
    node.name = given[i]
model.compile()
return model
