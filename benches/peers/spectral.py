"""numpy/scipy peer of benches/spectral.mjs.

Tasks (JSON argument):
  {"task": "eigvalsh", "dir": d, "taus": [...]}  dense L from the CSR in d, numpy.linalg.eigvalsh,
                                                 then S and C on the tau grid (vectorized numpy).
  {"task": "slq", "dir": d, "probes": P, "steps": m, "seed": s, "reorth": bool, "taus": [...]}
                                                 the same SLQ algorithm as diffrg (Rademacher probes,
                                                 null-space projection, m Lanczos steps, optional full
                                                 reorthogonalisation, Gauss quadrature via
                                                 scipy.linalg.eigh_tridiagonal), sequential probes.
The CSR (combinatorial Laplacian of an undirected, connected graph) is read from
d/indptr.npy, d/indices.npy, d/weights.npy. Prints one JSON object on its last line.
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal


def load(d):
    indptr = np.load(f"{d}/indptr.npy").astype(np.int64)
    indices = np.load(f"{d}/indices.npy").astype(np.int32)
    weights = np.load(f"{d}/weights.npy").astype(np.float64)
    n = len(indptr) - 1
    a = sp.csr_matrix((weights, indices, indptr), shape=(n, n))
    a.setdiag(0)
    a.eliminate_zeros()
    deg = np.asarray(a.sum(axis=1)).ravel()
    return n, a, deg


def thermo(nodes, weights, n, taus):
    nodes = np.maximum(nodes, 0.0)
    lmin = nodes.min()
    e = weights[None, :] * np.exp(-np.outer(taus, nodes - lmin))
    z = e.sum(axis=1)
    mean = (e * nodes[None, :]).sum(axis=1) / z
    var = (e * (nodes[None, :] - mean[:, None]) ** 2).sum(axis=1) / z
    s = np.log(z) - taus * lmin + taus * mean
    return s, taus**2 * var


def eigvalsh_task(args):
    n, a, deg = load(args["dir"])
    lap = np.diag(deg) - a.toarray()
    taus = np.asarray(args["taus"])
    t0 = time.perf_counter()
    lam = np.linalg.eigvalsh(lap)
    t1 = time.perf_counter()
    s, c = thermo(lam, np.ones_like(lam), n, taus)
    t2 = time.perf_counter()
    return {"eig_seconds": t1 - t0, "seconds": t2 - t0, "specificHeat": c.tolist()}


def slq_task(args):
    n, a, deg = load(args["dir"])
    lap = (sp.diags(deg) - a).tocsr()
    probes, steps, reorth = args["probes"], args["steps"], args["reorth"]
    rng = np.random.default_rng(args["seed"])
    u0 = np.full(n, 1.0 / np.sqrt(n))  # null space of a connected graph's D - A
    taus = np.asarray(args["taus"])
    t0 = time.perf_counter()
    all_nodes, all_weights = [np.zeros(1)], [np.ones(1)]
    for _ in range(probes):
        v = rng.choice([-1.0, 1.0], size=n)
        v -= u0 * (u0 @ v)
        q = v / np.linalg.norm(v)
        q_prev = np.zeros(n)
        basis = [q] if reorth else None
        alpha, beta = [], []
        b_prev = 0.0
        for j in range(steps):
            w = lap @ q
            w -= u0 * (u0 @ w)
            a_j = q @ w
            w -= a_j * q + b_prev * q_prev
            if reorth:
                qm = np.array(basis)
                for _ in range(2):
                    w -= qm.T @ (qm @ w)
            alpha.append(a_j)
            b = np.linalg.norm(w)
            if j + 1 == steps or b < 1e-10:
                break
            beta.append(b)
            q_prev, q = q, w / b
            if reorth:
                basis.append(q)
            b_prev = b
        theta, y = eigh_tridiagonal(np.array(alpha), np.array(beta))
        all_nodes.append(theta)
        all_weights.append((n - 1) * y[0, :] ** 2 / probes)
    t1 = time.perf_counter()
    s, c = thermo(np.concatenate(all_nodes), np.concatenate(all_weights), n, taus)
    t2 = time.perf_counter()
    return {"lanczos_seconds": t1 - t0, "seconds": t2 - t0, "specificHeat": c.tolist()}


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    out = {"eigvalsh": eigvalsh_task, "slq": slq_task}[args["task"]](args)
    print(json.dumps(out))
