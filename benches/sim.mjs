// Clustered LIF simulator vs Brian2 (cpp_standalone) on the same network and model.
// diffrg simulates (and builds the network), then the exact synapses, weights and delays are
// handed to Brian2 (benches/peers/sim_brian2.py), which runs them in cpp_standalone mode with
// the same thread count. Brian2's compile time is reported separately and excluded from the ratio.
// Env: SIM_BENCH_NEURONS (10000), SIM_BENCH_DURATION (10 s), SIM_BENCH_THREADS (2).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffrg, machine, peer, row, sized, time } from './_common.mjs';

const neurons = Number(process.env.SIM_BENCH_NEURONS ?? sized(10000, 500));
const duration = Number(process.env.SIM_BENCH_DURATION ?? sized(10, 0.5));
const threads = Number(process.env.SIM_BENCH_THREADS ?? 2);
// Every model parameter is passed explicitly so that both simulators use the same numbers.
const model = {
  dt: 1e-4, tauMExc: 0.02, tauMInh: 0.01, tauSynExc: 0.005, tauSynInh: 0.005,
  vThreshold: 20, vReset: 10, tRef: 0.002, extRateExc: 2000, extRateInh: 2000, wExt: 2,
};
console.log(machine());
console.log(`model: ${neurons} neurons, 20 clusters, ${duration} s at dt = 0.1 ms, ${threads} threads`);

const cpu0 = process.cpuUsage();
const { seconds: ours, value: sim } = await time(
  () => diffrg.simulateLif({ neurons, clusters: 20, duration, seed: 1, threads, ...model }),
  { repeat: 1 },
);
const cpu1 = process.cpuUsage(cpu0);
const oursCpu = (cpu1.user + cpu1.system) / 1e6;
console.log(`diffrg: ${sim.sources.length} synapses, E ${sim.rateExc.toFixed(2)} Hz, I ${sim.rateInh.toFixed(2)} Hz, ${sim.spikeTimes.length} spikes`);

const dir = mkdtempSync(join(tmpdir(), 'diffrg-bench-sim-'));
try {
  const delays = new Float64Array(sim.delays);
  writeFileSync(join(dir, 'sources.u32'), Buffer.from(sim.sources.buffer, sim.sources.byteOffset, sim.sources.byteLength));
  writeFileSync(join(dir, 'targets.u32'), Buffer.from(sim.targets.buffer, sim.targets.byteOffset, sim.targets.byteLength));
  writeFileSync(join(dir, 'weights.f64'), Buffer.from(sim.weights.buffer, sim.weights.byteOffset, sim.weights.byteLength));
  writeFileSync(join(dir, 'delays.f64'), Buffer.from(delays.buffer));
  writeFileSync(join(dir, 'excitatory.u8'), Buffer.from(sim.excitatory.buffer, sim.excitatory.byteOffset, sim.excitatory.byteLength));
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      dt: model.dt, duration, tau_m_exc: model.tauMExc, tau_m_inh: model.tauMInh, tau_syn_exc: model.tauSynExc,
      tau_syn_inh: model.tauSynInh, v_threshold: model.vThreshold, v_reset: model.vReset, t_ref: model.tRef,
      ext_rate_exc: model.extRateExc, ext_rate_inh: model.extRateInh, w_ext: model.wExt, seed: 1,
    }),
  );
  const b = peer('sim_brian2.py', { net: dir, threads });
  if (b) {
    console.log(`brian2: E ${b.rate_exc.toFixed(2)} Hz, I ${b.rate_inh.toFixed(2)} Hz, ${b.spikes} spikes; compile ${b.compile_s.toFixed(1)} s (excluded), simulation loop ${b.sim_loop_s?.toFixed?.(2) ?? 'n/a'} s`);
  }
  row(`LIF ${neurons} neurons, ${(sim.sources.length / 1e6).toFixed(2)}e6 syn, ${duration} s (wall)`, ours, b?.run_s, b?.peer ?? 'brian2');
  // CPU time (all threads) is the fairer figure on a shared, oversubscribed machine.
  row(`LIF ${neurons} neurons, ${duration} s (CPU time)`, oursCpu, b?.run_cpu_s, b?.peer ?? 'brian2');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
