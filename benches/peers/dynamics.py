"""Peer for benches/dynamics.mjs: Stochastic Force Inference (Frishman & Ronceray, PRX 2020;
PyPI stochasticforceinference, module SFI) on the same trajectory: constant diffusion, linear
(order-1 polynomial) force basis, then the entropy production of the fitted linear drift in
closed form, sigma = Tr(D^-1 B S B^T) - Tr B with the empirical covariance S (SFI's own
capacity estimate needs the same inputs; the closed form keeps the comparison on equal terms).

Args (JSON): {"file": raw float64 frame-major (T, 2), "frames": T, "dt": dt}.
Prints one JSON line: {"seconds", "sigma", "diffusion"}.
"""
import json
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np  # noqa: E402
import SFI  # noqa: E402


def force_matrix(S, d):
    """Drift F(x) = c + M x of the fitted linear ansatz, read off at 0 and the unit vectors."""
    pts = np.vstack([np.zeros((1, d)), np.eye(d)])
    vals = []
    for p in pts:
        x = np.asarray(p, dtype=np.float64)[None, :]
        try:
            f = S.force_ansatz(x, np.array([True]))
        except TypeError:
            f = S.force_ansatz(x)
        vals.append(np.asarray(f).reshape(-1)[:d])
    c = vals[0]
    return np.stack([vals[1 + j] - c for j in range(d)], axis=1)


def main():
    a = json.loads(sys.argv[1])
    t_frames, dt = int(a["frames"]), float(a["dt"])
    x = np.fromfile(a["file"], dtype=np.float64).reshape(t_frames, 2)
    t0 = time.perf_counter()
    data = SFI.StochasticTrajectoryData(x, np.arange(t_frames), dt, particle_indices=np.zeros(t_frames, dtype=int))
    S = SFI.OverdampedLangevinInference(data, verbosity=0)
    S.compute_diffusion_constant(method="MSD")
    (fb, fgb), names = SFI.OLI_bases.basis_selector({"type": "polynomial", "order": 1}, data.d, output="vector")
    S.infer_force_linear(basis_linear=fb, basis_linear_gradient=fgb, M_mode="Ito", G_mode="rectangle", basis_names=names)
    m = force_matrix(S, 2)
    D = np.asarray(S.diffusion_average).reshape(2, 2)
    B = -m
    cov = np.cov(x.T)
    sigma = float(np.trace(np.linalg.solve(D, B @ cov @ B.T)) - np.trace(B))
    t1 = time.perf_counter()
    print(json.dumps({"seconds": t1 - t0, "sigma": sigma, "diffusion": [float(D[0, 0]), float(D[1, 1])]}))


if __name__ == "__main__":
    main()
