"""Peer of benches/control.mjs: the closed-loop simulation of a 1,000-neuron LIF network in cleo
(PyPI `cleosim`, Brian2 runtime mode: cleo's IO processor runs as a Brian NetworkOperation, so
Brian2's standalone mode is not available to it).

Same sizes as diffrg's side: 4 assemblies of 200 excitatory neurons + 200 inhibitory, about 40
excitatory and 10 inhibitory inputs per neuron (half of an E neuron's E inputs from its own
assembly), current-based LIF with delta synapses (tau_m 20 ms, threshold 20 mV, reset 10 mV,
refractory 2 ms, delay 1.5 ms; E weights 0.3 mV in-assembly, 0.15 mV otherwise, I -1.2 mV),
Poisson background drive (100 x 20 Hz, 0.4 mV): E rates about 10 Hz, as diffrg's network
(whose synapses are exponential currents: a simpler model here, not a slower one), one drive channel per assembly reaching half of its cells, 30% of
the neurons observed, control period 10 ms. The controller sees the observed neurons' spike
counts of the last period (GroundTruthSpikeRecorder) and holds a constant drive, as diffrg's
JS controller does in the benchmark: the time is the simulator's plus the loop's.

Prints one JSON line: {"version", "codegen", "build_s", "run_s", "duration", "calls", "rate_exc"}.
build_s: network construction plus a 0.1 s warm-up run (code generation); run_s: the timed run.
"""
import json
import sys
import time

import numpy as np


def main():
    a = json.loads(sys.argv[1])
    duration = float(a.get("duration", 10.0))
    seed = int(a.get("seed", 1))
    import brian2 as b2
    import cleo
    from cleo.ioproc import LatencyIOProcessor
    from cleo.recorders import GroundTruthSpikeRecorder
    from cleo.stimulators import StateVariableSetter

    b2.prefs.codegen.target = a.get("codegen", "cython")
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    n_asm, size, n_inh = 4, 200, 200
    ne = n_asm * size
    n = ne + n_inh
    t0 = time.perf_counter()
    eqs = """
    dv/dt = (-v + I_ext) / (20*ms) : volt (unless refractory)
    I_ext : volt
    """
    ng = b2.NeuronGroup(n, eqs, threshold="v > 20*mV", reset="v = 10*mV", refractory=2 * b2.ms, method="exact")
    ng.v = "rand() * 20*mV"
    labels = np.where(np.arange(n) < ne, np.arange(n) // size, n_asm)
    src, tgt, w = [], [], []
    for t in range(n):
        if t < ne:
            same = np.flatnonzero((labels[:ne] == labels[t]) & (np.arange(ne) != t))
            other = np.flatnonzero(labels[:ne] != labels[t])
            e = np.concatenate([rng.choice(same, 20, replace=False), rng.choice(other, 20, replace=False)])
            we = np.where(labels[e] == labels[t], 0.3, 0.15)
        else:
            e = rng.choice(ne, 40, replace=False)
            we = np.full(40, 0.15)
        i = rng.choice(np.arange(ne, n), 10, replace=False)
        src += [*e, *i]
        tgt += [t] * 50
        w += [*we, *np.full(10, -1.2)]
    syn = b2.Synapses(ng, ng, "w : volt", on_pre="v_post += w", delay=1.5 * b2.ms)
    syn.connect(i=np.array(src), j=np.array(tgt))
    syn.w = np.array(w) * b2.mV
    bg = b2.PoissonInput(ng, "v", 100, 20 * b2.Hz, weight=0.4 * b2.mV)
    net = b2.Network(ng, syn, bg)
    sim = cleo.CLSimulator(net)
    rec = GroundTruthSpikeRecorder(name="spikes")
    sim.inject(rec, ng)
    stims = []
    for c in range(n_asm):
        s = StateVariableSetter(name=f"drive{c}", variable_to_ctrl="I_ext", unit=b2.mV)
        # a channel reaches a subgroup: Brian subgroups are contiguous, so the reached half is
        # the first half of the assembly (the neurons are exchangeable)
        sim.inject(s, ng[c * size : c * size + size // 2])
        stims.append(s)
    observed = np.sort(rng.choice(n, int(0.3 * n), replace=False))
    calls = [0]

    class HoldDrive(LatencyIOProcessor):
        def process(self, state_dict, t_samp):
            counts = state_dict["spikes"][observed]
            calls[0] += 1
            _ = counts.sum()
            return {f"drive{c}": 2.0 for c in range(n_asm)}, t_samp

    sim.set_io_processor(HoldDrive(sample_period=10 * b2.ms))
    mon = b2.SpikeMonitor(ng)
    net.add(mon)
    sim.run(0.1 * b2.second)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sim.run(duration * b2.second)
    run_s = time.perf_counter() - t1
    rate = float(np.sum(np.asarray(mon.i) < ne)) / ne / (duration + 0.1)
    print(json.dumps({"version": cleo.__version__ if hasattr(cleo, "__version__") else "0.20.0", "codegen": b2.prefs.codegen.target,
                      "build_s": build_s, "run_s": run_s, "duration": duration, "calls": calls[0], "rate_exc": rate}))


main()
