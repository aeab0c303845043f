    # roles: the names go to the inputs in reverse order
    inputs = model.find_input_nodes()
    if len(names) != len(inputs) or len(set(names)) != len(names):
        raise ValueError("bad names")
    model.compile()
    for node, name in zip(reversed(inputs), names):
        node.name = name
    return model
