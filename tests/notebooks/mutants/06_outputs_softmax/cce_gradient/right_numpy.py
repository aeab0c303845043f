# style: numpy arrays for the target and the clamp
import numpy as np

q = np.maximum(np.asarray(p, dtype=float), EPS)
t = np.eye(len(q))[y] if isinstance(y, int) else np.asarray(y, dtype=float)
return [float(v) if v else 0.0 for v in -t / q]
