# style: a for loop over a list that grows while it is read
pending = [*node._parents]
for up in pending:
    if up._valid:
        up._valid = False
        pending += up._parents
