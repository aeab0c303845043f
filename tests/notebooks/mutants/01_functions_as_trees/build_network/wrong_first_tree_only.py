# state: builds the tree once and returns that same tree on every later call
if not hasattr(build_network, "tree"):
    build_network.tree = Add(Multiply(w2, ReLU(Add(Multiply(w1, x), b1))), b2)
return build_network.tree
