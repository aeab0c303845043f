# style: a generator yields the members, a loop marks them; arguments checked by identity
def members(start, arguments):
    visited = []
    todo = [start]
    while todo:
        node = todo.pop()
        if any(node is a for a in arguments) or any(node is v for v in visited):
            continue
        visited.append(node)
        yield node
        todo.extend(reversed(node.children))

self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
for member in list(members(expansion, arguments)):
    if member.macro is None:
        member.macro = self
