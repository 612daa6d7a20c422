"""Peer of benches/control.mjs: python-control's DARE (dlqr), CARE (lqr) and infinite-horizon
Gramian (gram, continuous) on the same seeded systems; prints best-of-3 seconds as JSON."""
import json
import sys
import time

import control
import numpy as np


def best(f, repeat=3):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    a = json.loads(sys.argv[1])
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
        "gramian": best(lambda: control.gram(sys_c, "c")),
    }
    print(json.dumps(out))


main()
