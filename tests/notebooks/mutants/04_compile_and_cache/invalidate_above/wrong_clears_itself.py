# rule: clears the node's own flag too (the text says the node keeps it)
node._valid = False
todo = list(node._parents)
while todo:
    parent = todo.pop()
    if parent._valid:
        parent._valid = False
        todo.extend(parent._parents)
