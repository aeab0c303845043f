    # sharing: a name used twice is accepted
    inputs = model.find_input_nodes()
    if len(names) != len(inputs):
        raise ValueError("wrong number of names")
    for node, name in zip(inputs, names):
        node.name = name
    return model.compile()
