# rule: calls forward(), which the text forbids
return node.forward()
