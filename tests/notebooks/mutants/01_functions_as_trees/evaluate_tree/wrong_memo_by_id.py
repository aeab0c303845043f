# state: remembers every node's value by id across calls, so a changed parameter is never seen
memo = evaluate.__dict__.setdefault("memo", {})
if id(node) not in memo:
    if not node.children:
        memo[id(node)] = node.value
    else:
        memo[id(node)] = node.op([evaluate(child) for child in node.children])
return memo[id(node)]
