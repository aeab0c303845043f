# tested-values: climbs at most four levels, enough for the visible test but not for a deep chain
level = list(node._parents)
for _ in range(4):
    above = []
    for parent in level:
        if parent._valid:
            parent._valid = False
            above.extend(parent._parents)
    level = above
