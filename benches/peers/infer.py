"""Peer for benches/infer.mjs: lagged covariances C(0), C(1) of a sparse spike raster and the
ridge Yule-Walker VAR(1) solve with numpy/scipy (what a user would write: a scipy.sparse CSR
raster T x N, sparse products X[1:]^T X[:-1], dense mean correction, Cholesky solve).

Args (JSON): {"events": path to an (S, 2) int32 .npy of [neuron, bin], "n": N, "bins": T,
"ridge": relative ridge}. Prints one JSON line: {"seconds", "cov_seconds", "c1_trace"}.
"""
import json
import sys
import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp


def main():
    a = json.loads(sys.argv[1])
    ev = np.load(a["events"])
    n, t = int(a["n"]), int(a["bins"])
    t0 = time.perf_counter()
    x = sp.csr_matrix((np.ones(len(ev), dtype=np.float64), (ev[:, 1], ev[:, 0])), shape=(t, n))
    x.sum_duplicates()
    s = np.asarray(x.sum(axis=0)).ravel()
    mu = s / t
    r0 = (x.T @ x).toarray()
    r1 = (x[1:].T @ x[:-1]).toarray()
    first = x[0].toarray().ravel()
    last = x[t - 1].toarray().ravel()
    c0 = r0 / t - np.outer(mu, mu)
    # Same biased estimator as diffrg: (1/T)[R1 - (S - x_0) mu^T - mu (S - x_{T-1})^T + (T-1) mu mu^T]
    c1 = (r1 - np.outer(s - first, mu) - np.outer(mu, s - last) + (t - 1) * np.outer(mu, mu)) / t
    t1 = time.perf_counter()
    d = np.where(np.diag(c0) > 0, 1 / np.sqrt(np.maximum(np.diag(c0), 1e-300)), 0.0)
    g = c0 * np.outer(d, d)
    cp = c1 * np.outer(d, d)
    g[np.diag_indices(n)] += float(a["ridge"]) * np.mean(np.diag(g))
    cf = scipy.linalg.cho_factor(g, lower=True)
    b = scipy.linalg.cho_solve(cf, cp.T).T
    t2 = time.perf_counter()
    print(json.dumps({"seconds": t2 - t0, "cov_seconds": t1 - t0, "c1_trace": float(np.trace(c1)), "b_trace": float(np.trace(b))}))


if __name__ == "__main__":
    main()
