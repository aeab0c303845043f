# rule: never stops early: clears and climbs through nodes that were already invalid
todo = list(node._parents)
while todo:
    parent = todo.pop()
    parent._valid = False
    todo.extend(parent._parents)
