"""Peer for benches/dynamics.mjs: Stochastic Force Inference (Frishman & Ronceray, PRX 10,
021009 (2020); PyPI stochasticforceinference, module SFI) on the same trajectory: constant
diffusion, force basis of the monomials up to degree `order` (default 1), and SFI's own
entropy-production estimator (`compute_entropy_production`, bias-corrected value `Sdot_debiased`).

Args (JSON): {"file": raw float64 frame-major (T, 2), "frames": T, "dt": dt, "order": p}.
Prints one JSON line: {"seconds", "sigma", "sigma_raw", "sigma_error", "diffusion"}.
"""
import json
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np  # noqa: E402
import SFI  # noqa: E402
from SFI.bases import monomials_up_to  # noqa: E402


def main():
    a = json.loads(sys.argv[1])
    t_frames, dt = int(a["frames"]), float(a["dt"])
    x = np.fromfile(a["file"], dtype=np.float64).reshape(t_frames, 2)
    t0 = time.perf_counter()
    data = SFI.TrajectoryCollection.from_arrays(X=x, dt=dt)
    inf = SFI.OverdampedLangevinInference(data)
    inf.compute_diffusion_constant()
    inf.infer_force_linear(monomials_up_to(order=int(a.get("order", 1)), dim=2, rank="vector"))
    ep = inf.compute_entropy_production()
    t1 = time.perf_counter()
    d = np.asarray(getattr(inf, "diffusion_average", np.full((2, 2), np.nan))).reshape(-1)
    print(json.dumps({
        "seconds": t1 - t0,
        "sigma": float(ep["Sdot_debiased"]),
        "sigma_raw": float(ep["Sdot"]),
        "sigma_error": float(ep["Sdot_error"]),
        "diffusion": [float(d[0]), float(d[-1])],
    }))


if __name__ == "__main__":
    main()
