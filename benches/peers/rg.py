"""numpy/scipy peer for benches/rg.mjs: one dense real-space Laplacian-RG step.

Same algorithm as diffrg's dense path: eigh of the combinatorial Laplacian (LAPACK),
K = W W^T with W = U diag(exp(-tau lam / 2)), rho'_ij = K_ij / min(K_ii, K_jj) >= 1 - tol,
supernodes = connected components (scipy.sparse.csgraph). Also times scipy.linalg.expm
(Pade 13, scaling and squaring) on the same Laplacian as a second reference.

argv[1]: JSON {"n": N, "edges": [[i, j], ...], "tau": t, "tol": 1e-9, "expm": bool}
Prints one JSON line: {"seconds", "supernodes", "assignment", "expm_seconds"}.
"""
import json
import sys
import time

import numpy as np
import scipy.linalg
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def laplacian(n, edges):
    a = np.zeros((n, n))
    for i, j in edges:
        if i != j:
            a[i, j] += 1.0
            a[j, i] += 1.0
    return np.diag(a.sum(axis=1)) - a


def step(l, tau, tol):
    lam, u = np.linalg.eigh(l)
    w = u * np.exp(-0.5 * tau * np.clip(lam, 0.0, None))
    k = w @ w.T
    d = np.diag(k)
    m = np.minimum.outer(d, d) * (1.0 - tol)
    link = (k >= m) | (k.T >= m)
    np.fill_diagonal(link, False)
    i, j = np.nonzero(np.triu(link))
    n = l.shape[0]
    g = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    count, labels = connected_components(g, directed=False)
    # Canonical labels: order of first appearance.
    first = {}
    canon = [first.setdefault(int(x), len(first)) for x in labels]
    return count, canon


def main():
    args = json.loads(sys.argv[1])
    n, tau, tol = args["n"], args["tau"], args.get("tol", 1e-9)
    l = laplacian(n, args["edges"])
    t0 = time.perf_counter()
    count, canon = step(l, tau, tol)
    seconds = time.perf_counter() - t0
    expm_seconds = None
    if args.get("expm"):
        t0 = time.perf_counter()
        scipy.linalg.expm(-tau * l)
        expm_seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "supernodes": count, "assignment": canon, "expm_seconds": expm_seconds}))


if __name__ == "__main__":
    main()
