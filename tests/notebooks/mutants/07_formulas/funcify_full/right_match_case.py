# style: structural pattern matching on the node's class, numbers with format()
match node:
    case Input():
        return node.name
    case Parameter() | Constant():
        return format(node.value, ".4g")
    case Macro():
        return funcify_full(node.expansion)
    case Add() | Multiply():
        sign = " + " if isinstance(node, Add) else " * "
        return "(" + sign.join(map(funcify_full, node.children)) + ")"
    case ReLU():
        return "relu(" + funcify_full(node.children[0]) + ")"
    case Sigmoid():
        return "sigmoid(" + funcify_full(node.children[0]) + ")"
raise TypeError(f"cannot write {node!r}")
