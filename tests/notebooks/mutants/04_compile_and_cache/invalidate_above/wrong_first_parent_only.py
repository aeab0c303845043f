# sharing: follows only the first parent of every node, as if each node had one parent
current = node
while current._parents:
    current = current._parents[0]
    if not current._valid:
        break
    current._valid = False
