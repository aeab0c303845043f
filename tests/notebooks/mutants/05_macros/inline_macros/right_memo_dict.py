# style: a dict from id to replacement, filled before the children lists are rewritten
replacement = {}

def final(node):
    key = id(node)
    if key not in replacement:
        target = node
        while isinstance(target, kinds):
            target = target.children[0]
        replacement[key] = target
    return replacement[key]

start = final(root)
visited = {id(start)}
todo = [start]
while todo:
    node = todo.pop()
    new_children = [final(child) for child in node.children]
    node.children = new_children
    for child in new_children:
        if id(child) not in visited:
            visited.add(id(child))
            todo.append(child)
return start
