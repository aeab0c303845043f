# rule: never a bias
return Add([Multiply(Parameter(learning_rate=self.learning_rate), x) for x in arguments])
