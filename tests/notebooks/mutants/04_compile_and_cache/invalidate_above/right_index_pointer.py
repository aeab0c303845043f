# style: an index walks a list of nodes to visit; nodes already invalid are filtered on the way in
todo = [p for p in node._parents if p._valid]
i = 0
while i < len(todo):
    current = todo[i]
    i += 1
    if current._valid:
        current._valid = False
        todo.extend(p for p in current._parents if p._valid)
