# style: log-sum-exp, then exp(z - log total)
top = max(scores)
log_total = top + math.log(sum(math.exp(z - top) for z in scores))
return [math.exp(z - log_total) for z in scores]
