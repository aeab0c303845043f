    # rule: no check of the count, zip silently drops extra names
    for node, name in zip(model.find_input_nodes(), names):
        node.name = name
    return model.compile()
