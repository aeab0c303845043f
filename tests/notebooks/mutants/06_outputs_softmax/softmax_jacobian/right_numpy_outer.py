# style: numpy, diag(s) - s s^T
import numpy as np

v = np.array(s, dtype=float)
return (np.diag(v) - np.outer(v, v)).tolist()
