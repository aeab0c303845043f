# rule: no count check: extra values are ignored, missing ones leave old values
for node, value in zip(model.find_input_nodes(), inputs):
    node.value = value
return model.forward()
