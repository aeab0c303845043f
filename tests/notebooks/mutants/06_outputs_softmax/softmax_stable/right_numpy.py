# style: numpy arrays, converted back to a list of floats
import numpy as np

z = np.asarray(scores, dtype=float)
e = np.exp(z - z.max())
return (e / e.sum()).tolist()
