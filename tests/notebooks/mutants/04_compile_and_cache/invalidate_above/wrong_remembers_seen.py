# state: a set of visited ids kept on the function between calls, so a second call does nothing
seen = invalidate_above.__dict__.setdefault("seen", set())
todo = list(node._parents)
while todo:
    parent = todo.pop()
    if id(parent) in seen or not parent._valid:
        continue
    seen.add(id(parent))
    parent._valid = False
    todo.extend(parent._parents)
