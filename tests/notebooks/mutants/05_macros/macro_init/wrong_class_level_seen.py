# state: the visited set lives on the class, so a later macro skips what an earlier one walked
self.arguments = arguments
expansion = self.expand(arguments)
super().__init__(expansion, name=name)
seen = Macro.__dict__.get("_seen")
if seen is None:
    Macro._seen = seen = set()
stop = {id(a) for a in arguments}
stack = [expansion]
while stack:
    node = stack.pop()
    if id(node) in stop or id(node) in seen:
        continue
    seen.add(id(node))
    if node.macro is None:
        node.macro = self
    stack.extend(node.children)
