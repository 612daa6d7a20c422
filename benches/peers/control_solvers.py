"""Peer of benches/control.mjs (not named control.py: it would shadow the package): python-control's DARE (dlqr), CARE (lqr) and infinite-horizon
Gramian (gram, continuous; scipy when slycot is missing) on the same seeded systems; prints best-of-3 seconds as JSON."""
import json
import sys
import time

import control
import numpy as np
import scipy.linalg


def best(f, repeat=3):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    with open(json.loads(sys.argv[1])["file"]) as f:
        a = json.load(f)
    n, m = a["n"], a["m"]
    ad = np.array(a["ad"]).reshape(n, n)
    ac = np.array(a["ac"]).reshape(n, n)
    b = np.array(a["b"]).reshape(n, m)
    q, r = np.eye(n), np.eye(m)
    sys_c = control.ss(ac, b, np.eye(n), np.zeros((n, m)))
    out = {
        "version": control.__version__,
        "dare": best(lambda: control.dlqr(ad, b, q, r)),
        "care": best(lambda: control.lqr(ac, b, q, r)),
    }
    try:
        out["gramian"] = best(lambda: control.gram(sys_c, "c"))
        out["gramianBy"] = "python-control gram (slycot)"
    except control.ControlSlycot:
        # python-control's gram needs slycot; without it, scipy's Bartels-Stewart solver
        out["gramian"] = best(lambda: scipy.linalg.solve_continuous_lyapunov(ac, -b @ b.T))
        out["gramianBy"] = "scipy solve_continuous_lyapunov"
    print(json.dumps(out))


main()
