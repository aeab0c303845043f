# style: an index loop, derivatives kept in a dict
out = []
for i in range(len(samples)):
    x, y = samples[i][0], samples[i][1]
    d = {"p": -2.0 * (y - (w * x + b))}
    d["w"], d["b"] = d["p"] * x, d["p"]
    w -= learning_rate * d["w"]
    b -= learning_rate * d["b"]
    out.append((w, b))
return out
