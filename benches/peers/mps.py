"""quimb peer for benches/mps.mjs.

Reads a diffrg MPS NPZ (core_0000.npy ... shape (left, dim, right), meta.npy = UTF-8 JSON) and
times the same tasks with quimb:

- compress: MatrixProductState.compress(max_bond=..., cutoff=0) (canonicalise + SVD sweep), and
  a lean numpy reference of the same QR + truncated-SVD sweep (a fairness check).
- logprob (quimb API): amplitude of each pattern by selecting the physical indices
  (psi.isel) and contracting, on a subset of the patterns; the time is extrapolated linearly
  to all patterns (reported with the subset size).
- logprob (numpy reference): the same batched algorithm as diffrg written with numpy matmuls
  over quimb's core arrays, on all patterns; a fairness check, not quimb's API.

Prints one JSON object on its last line.
"""
import json
import sys
import time

import numpy as np
import quimb.tensor as qtn


def load(path):
    z = np.load(path)
    meta = json.loads(z["meta"].tobytes().decode())
    cores = [z[f"core_{k:04d}"] for k in range(meta["sites"])]
    return meta, cores


def to_quimb(cores):
    arrays = []
    n = len(cores)
    for k, c in enumerate(cores):
        if k == 0:
            arrays.append(c[0, :, :].T)  # (right, phys) with shape 'lrp' -> first is (r, p)
        elif k == n - 1:
            arrays.append(c[:, :, 0])  # (left, phys)
        else:
            arrays.append(c.transpose(0, 2, 1))  # (left, right, phys)
    return qtn.MatrixProductState(arrays, shape="lrp")


def log_norm(cores):
    env = np.ones((1, 1))
    logs = 0.0
    for c in cores:
        env = np.einsum("ab,asc,bsd->cd", env, c, c)
        m = np.abs(env).max()
        env /= m
        logs += np.log(m)
    return np.log(env[0, 0]) + logs


def best(fn, repeat):
    t = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return t, out


def main():
    args = json.loads(sys.argv[1])
    meta, cores = load(args["model"])
    task = args["task"]
    if task == "compress":
        psi = to_quimb(cores)

        def run():
            p = psi.copy()
            p.compress(max_bond=args["max_bond"], cutoff=0.0)
            return p.max_bond()

        t, mb = best(run, args.get("repeat", 3))
        chi = args["max_bond"]

        def run_numpy():
            # lean reference: right-canonicalise by QR, then a left-to-right truncated SVD sweep
            cs = [c.copy() for c in cores]
            for k in range(len(cs) - 1, 0, -1):
                l, d, r = cs[k].shape
                q, rr = np.linalg.qr(cs[k].reshape(l, d * r).T)
                cs[k] = q.T.reshape(-1, d, r)
                cs[k - 1] = np.tensordot(cs[k - 1], rr.T, axes=(2, 0))
            for k in range(len(cs) - 1):
                l, d, r = cs[k].shape
                u, sv, vt = np.linalg.svd(cs[k].reshape(l * d, r), full_matrices=False)
                u, sv, vt = u[:, :chi], sv[:chi], vt[:chi]
                cs[k] = u.reshape(l, d, -1)
                cs[k + 1] = np.tensordot(sv[:, None] * vt, cs[k + 1], axes=(1, 0))
            return max(c.shape[2] for c in cs)

        tn, mbn = best(run_numpy, args.get("repeat", 3))
        print(json.dumps({"seconds": t, "max_bond": int(mb), "numpy_seconds": tn, "numpy_max_bond": int(mbn)}))
        return
    if task == "logprob":
        pats = np.load(args["patterns"])
        n_pat = pats.shape[0]
        lz = log_norm(cores)
        psi = to_quimb(cores)
        sub = min(args.get("subset", 2000), n_pat)
        inds = [psi.site_ind(k) for k in range(len(cores))]

        def run_quimb():
            out = np.empty(sub)
            for i in range(sub):
                amp = psi.isel(dict(zip(inds, pats[i].tolist()))).contract(all, optimize="auto-hq" if False else "greedy")
                out[i] = (2 * np.log(abs(amp)) - lz) / np.log(2)
            return out

        tq, lq = best(run_quimb, 1)

        def run_numpy():
            out = np.empty(n_pat)
            block = 4096
            for s in range(0, n_pat, block):
                p = pats[s : s + block]
                v = cores[0][0][p[:, 0], :]
                logs = np.zeros(len(p))
                for k in range(1, len(cores)):
                    c = cores[k]
                    nv = np.empty((len(p), c.shape[2]))
                    for a in range(c.shape[1]):
                        m = p[:, k] == a
                        nv[m] = v[m] @ c[:, a, :]
                    mx = np.abs(nv).max(axis=1)
                    nv /= mx[:, None]
                    logs += np.log(mx)
                    v = nv
                out[s : s + block] = (2 * (np.log(np.abs(v[:, 0])) + logs) - lz) / np.log(2)
            return out

        tn, ln = best(run_numpy, 1)
        print(
            json.dumps(
                {
                    "quimb_subset": sub,
                    "quimb_seconds_subset": tq,
                    "quimb_seconds_extrapolated": tq * n_pat / sub,
                    "numpy_seconds": tn,
                    "quimb_first": lq[:5].tolist(),
                    "numpy_first": ln[:5].tolist(),
                }
            )
        )
        return
    raise SystemExit(f"unknown task {task}")


if __name__ == "__main__":
    main()
