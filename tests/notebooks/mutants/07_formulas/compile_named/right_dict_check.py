    inputs = model.find_input_nodes()
    mapping = dict(zip(names, inputs))
    if len(mapping) != len(inputs) or len(names) != len(inputs):
        raise ValueError(f"need {len(inputs)} different names, got {list(names)}")
    for name, node in mapping.items():
        node.name = name
    model.compile()
    return model
