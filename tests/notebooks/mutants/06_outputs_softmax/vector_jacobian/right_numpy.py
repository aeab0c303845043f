# style: numpy, d @ J
import numpy as np

return (np.asarray(d, dtype=float) @ np.asarray(J, dtype=float)).tolist()
