# rule: accepts only a class index, not a one-hot list
return -math.log(max(p[y], EPS))
