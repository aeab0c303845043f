# mutation: pops from the node's own _parents list, so the links are gone after one walk
todo = node._parents
while todo:
    parent = todo.pop()
    if parent._valid:
        parent._valid = False
        todo.extend(parent._parents)
