# sharing: returns at the first invalid node, so the other parents' branches are never cleared
todo = list(node._parents)
while todo:
    parent = todo.pop()
    if not parent._valid:
        return
    parent._valid = False
    todo.extend(parent._parents)
