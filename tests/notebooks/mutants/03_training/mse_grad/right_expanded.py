# style: the expanded form 2p - 2y
return 2.0 * p - 2.0 * y
