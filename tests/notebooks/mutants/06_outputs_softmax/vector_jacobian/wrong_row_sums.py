    return [d[i] * sum(J[i]) for i in range(len(J))]
