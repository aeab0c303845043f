# other: takes the magnitude 2|p - y|, so a prediction below the target gets the wrong sign
return 2.0 * abs(p - y) if p != y else 0.0
