return node.forward()
