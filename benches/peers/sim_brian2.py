"""Brian2 peer for the clustered LIF benchmark (benches/sim.mjs).

Runs exactly the network diffrg simulated (same synapses, weights and delays, read from the
binary files written by the benchmark) with the same neuron model (current-based LIF,
exponential synaptic currents, refractory clamp, exact integration, Poisson drive) in Brian2's
cpp_standalone mode, and prints one JSON line:

  {"compile_s": .., "run_s": .., "sim_loop_s": .., "rate_exc": .., "rate_inh": .., ...}

run_s is the wall time of the compiled binary (load + simulate + write results), run_cpu_s its
CPU time (user + system, all threads); sim_loop_s is Brian2's own measurement of the loop. Compilation is reported separately.

Inputs (directory given by --net): meta.json (model parameters), sources.u32, targets.u32,
weights.f64 (mV), delays.f64 (s), excitatory.u8 (1 = excitatory), all little-endian.

Build mode (benches/infer-accuracy.mjs: ground truth from a simulator diffrg did not write):
`sim_brian2.py '{"build": {"n": 500, "clusters": 5, "p_ratio": 2, "duration": 60,
"seed": 1}, "out": DIR}'` draws its own clustered E/I network with numpy (the recipe of
Litwin-Kumar & Doiron 2012 as docs/lif.md states it: 80% E dealt round-robin to the clusters,
expected 80 E and 20 I inputs per neuron, E->E connection probability `p_ratio` times higher
inside a cluster than between (p_out = 80 / (p_ratio m_in + m_out)), E->E weights 0.75 mV between and 1.5 mV inside clusters, E->I 1.5 mV, I->E and
I->I -4 mV, delays uniform in 0.5-2 ms), simulates it with the same neuron model, and writes
DIR/spike_neurons.u32, spike_times.f64 (s), sources.u32, targets.u32, weights.f64 (mV, signed)
and labels.u32 (cluster; I neurons get the label `clusters`).
"""
import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time

import numpy as np


def main():
    # Called as `sim_brian2.py '{"net": DIR, "threads": 2}'` (benches/_common.mjs) or with flags.
    if len(sys.argv) == 2 and sys.argv[1].lstrip().startswith("{"):
        j = json.loads(sys.argv[1])
        if "build" in j:
            return build(j["build"], j["out"], int(j.get("threads", 1)))
        args = argparse.Namespace(net=j["net"], threads=int(j.get("threads", 1)), build_dir=j.get("build_dir"))
    else:
        ap = argparse.ArgumentParser()
        ap.add_argument("--net", required=True, help="directory with meta.json and the binary arrays")
        ap.add_argument("--threads", type=int, default=1)
        ap.add_argument("--build-dir", default=None)
        args = ap.parse_args()

    meta = json.load(open(os.path.join(args.net, "meta.json")))
    src = np.fromfile(os.path.join(args.net, "sources.u32"), dtype="<u4").astype(np.int64)
    tgt = np.fromfile(os.path.join(args.net, "targets.u32"), dtype="<u4").astype(np.int64)
    weights = np.fromfile(os.path.join(args.net, "weights.f64"), dtype="<f8")
    d = np.fromfile(os.path.join(args.net, "delays.f64"), dtype="<f8")
    exc = np.fromfile(os.path.join(args.net, "excitatory.u8"), dtype="u1").astype(bool)
    out, _ = simulate(meta, src, tgt, weights, d, exc, args.threads, args.build_dir)
    print(json.dumps(out))


def build(b, out_dir, threads):
    """Draws a clustered E/I network (numpy), simulates it in Brian2 and writes spikes + truth."""
    n, k, ratio, seed = int(b["n"]), int(b["clusters"]), float(b.get("p_ratio", 2.0)), int(b.get("seed", 1))
    rng = np.random.default_rng(seed)
    ne = int(round(0.8 * n))
    exc = np.arange(n) < ne
    labels = np.where(exc, np.arange(n) % k, k)
    k_exc, k_inh, w_ee, w_ratio, w_ie, w_ei, w_ii = 80.0, 20.0, 0.75, 2.0, 1.5, 4.0, 4.0
    ni = n - ne
    src, tgt, w = [], [], []
    for t in range(n):
        if exc[t]:
            same = (labels[:ne] == labels[t]) & (np.arange(ne) != t)
            m_in = same.sum()
            p_out = k_exc / (ratio * m_in + (ne - 1 - m_in))
            p = np.where(same, ratio * p_out, p_out)
            p[t] = 0.0
            e = np.flatnonzero(rng.random(ne) < np.minimum(p, 1.0))
            we = np.where(same[e], w_ratio * w_ee, w_ee)
            wi = -w_ei
        else:
            p = np.full(ne, min(k_exc / ne, 1.0))
            e = np.flatnonzero(rng.random(ne) < p)
            we = np.full(e.size, w_ie)
            wi = -w_ii
        i = ne + np.flatnonzero(rng.random(ni) < min(k_inh / max(ni, 1), 1.0))
        i = i[i != t]
        src += [e, i]
        tgt += [np.full(e.size, t), np.full(i.size, t)]
        w += [we, np.full(i.size, wi)]
    src, tgt, w = np.concatenate(src), np.concatenate(tgt), np.concatenate(w)
    d = rng.uniform(0.5e-3, 2e-3, src.size)
    meta = {
        "dt": 1e-4, "t_ref": 2e-3, "tau_syn_exc": 5e-3, "tau_syn_inh": 5e-3, "v_threshold": 20.0,
        "v_reset": 10.0, "tau_m_exc": 20e-3, "tau_m_inh": 10e-3, "seed": seed,
        "ext_rate_exc": 2000.0, "ext_rate_inh": 2000.0, "w_ext": 2.0, "duration": float(b["duration"]),
    }
    out, (si, st) = simulate(meta, src, tgt, w, d, exc, threads, None)
    os.makedirs(out_dir, exist_ok=True)
    for name, arr, dt in (("spike_neurons.u32", si, "<u4"), ("spike_times.f64", st, "<f8"), ("sources.u32", src, "<u4"),
                          ("targets.u32", tgt, "<u4"), ("weights.f64", w, "<f8"), ("labels.u32", labels, "<u4")):
        np.asarray(arr).astype(dt).tofile(os.path.join(out_dir, name))
    print(json.dumps(out))


def simulate(meta, src, tgt, weights, d, exc, threads, build_dir_arg):
    """Runs the network in Brian2 (cpp_standalone); returns the summary and the spikes (ids, s)."""
    import brian2 as b2
    from brian2 import ms, mV, Hz, second

    class args:  # noqa: N801 (the names the code below was written with)
        pass

    args.threads = threads
    args.build_dir = build_dir_arg
    n = exc.size
    # Brian2 order: E neurons first (contiguous subgroups), then I.
    order = np.concatenate([np.flatnonzero(exc), np.flatnonzero(~exc)])
    to_brian = np.empty(n, dtype=np.int64)
    to_brian[order] = np.arange(n)
    ne = int(exc.sum())

    build_dir = args.build_dir or tempfile.mkdtemp(prefix="diffrg_brian2_")
    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = max(1, args.threads)
    b2.defaultclock.dt = meta["dt"] * second

    eqs = """
    dv/dt = (-v + Ie + Ii) / tau_m : volt (unless refractory)
    dIe/dt = -Ie / tau_e : volt
    dIi/dt = -Ii / tau_i : volt
    tau_m : second (constant)
    """
    G = b2.NeuronGroup(
        n,
        eqs,
        threshold="v >= v_th",
        reset="v = v_reset",
        refractory=meta["t_ref"] * second,
        method="exact",
        namespace={
            "tau_e": meta["tau_syn_exc"] * second,
            "tau_i": meta["tau_syn_inh"] * second,
            "v_th": meta["v_threshold"] * mV,
            "v_reset": meta["v_reset"] * mV,
        },
    )
    G.tau_m = np.where(np.arange(n) < ne, meta["tau_m_exc"], meta["tau_m_inh"]) * second
    rng = np.random.default_rng(meta["seed"])
    # Seeds Brian2's own generator (the Poisson drive); without it every run is a new realisation.
    b2.seed(int(meta["seed"]))
    G.v = (meta["v_reset"] + (meta["v_threshold"] - meta["v_reset"]) * rng.random(n)) * mV

    syn = []
    for exc_src, var in ((True, "Ie"), (False, "Ii")):
        sel = exc[src] == exc_src
        S = b2.Synapses(G, G, "w : volt (constant)", on_pre=f"{var}_post += w")
        S.connect(i=to_brian[src[sel]], j=to_brian[tgt[sel]])
        S.w = weights[sel] * mV
        S.delay = d[sel] * second
        syn.append(S)

    # External Poisson drive: N_ext independent inputs whose summed rate is the diffrg rate.
    n_ext = 20
    inputs = []
    for grp, rate in ((G[:ne], meta["ext_rate_exc"]), (G[ne:], meta["ext_rate_inh"])):
        if len(grp) and rate > 0:
            inputs.append(b2.PoissonInput(grp, "Ie", N=n_ext, rate=rate / n_ext * Hz, weight=meta["w_ext"] * mV))
    mon = b2.SpikeMonitor(G)
    net = b2.Network(G, *syn, *inputs, mon)
    net.run(meta["duration"] * second)

    t0 = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=False)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b2.device.run(directory=build_dir, with_output=False)
    run_s = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    counts = np.bincount(np.asarray(mon.i), minlength=n)
    dur = meta["duration"]
    out = {
        "peer": f"brian2 {b2.__version__} cpp_standalone",
        "threads": args.threads,
        "neurons": n,
        "synapses": int(src.size),
        "duration_s": dur,
        "compile_s": compile_s,
        "run_s": run_s,
        "run_cpu_s": run_cpu_s,
        "sim_loop_s": getattr(b2.device, "_last_run_time", None),
        "spikes": int(counts.sum()),
        "rate_exc": float(counts[:ne].sum() / max(ne, 1) / dur),
        "rate_inh": float(counts[ne:].sum() / max(n - ne, 1) / dur),
    }
    # spikes in the caller's neuron ids, sorted by time
    si = order[np.asarray(mon.i)]
    st = np.asarray(mon.t / second)
    if args.build_dir is None:
        shutil.rmtree(build_dir, ignore_errors=True)
    return out, (si, st)


if __name__ == "__main__":
    sys.exit(main())
