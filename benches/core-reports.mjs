// Timing and report harnesses of the Rust core (crates/diffrg-core/examples/reports; formerly
// `#[ignore]` tests in src/): one binary built once, each report run with its size knobs
// (benches/README.md). Full sizes are the harnesses' own defaults (the figures of docs/); an
// environment variable set by the caller overrides a knob; DIFFRG_BENCH_SMOKE=1 runs tiny sizes.
// REPORTS=name,name picks reports (`cargo run --release -p diffrg-core --example reports -- list`).
// The LGD-at-scale reports are benches/lgd-scale.mjs.
import { SMOKE, coreReport, machine } from './_common.mjs';

/** Smoke sizes per report; at full size the harness's defaults apply. */
const SMOKE_SIZES = {
  hidden_assemblies: { HIDDEN_N: 60, HIDDEN_STEPS: 2000, HIDDEN_FRACTIONS: 0.5 },
  lif_accuracy: { LIF_SEEDS: 1, LIF_N: 200, LIF_SECONDS: 5 },
  local_step: { DIFFRG_LOCAL: 'ba:2000:0.3' },
  slq_accuracy: { DIFFRG_SLQ_N: 400 },
  slq_speed: { DIFFRG_SLQ_N: 5000 },
  lockstep_speed: { PN: 20000, PS: 20 },
  dense_eig: { DIFFRG_EIG_N: 300 },
  lif_benchmark: { LIF_N: 1000, LIF_K: 2, LIF_T: 0.5 },
  feedforward: { FF_T: 2, FF_SEEDS: 1 },
  states_bias: { STATES_SEEDS: 2, STATES_STEPS: 2000, STATES_BOOTSTRAP: 10 },
  mps_compress: { MPS_SITES: 16, MPS_CHI: 64 },
  closed_loop: { CL_ID: 10 },
  rate_estimators: { CL_SEEDS: 1, EST_DUR: 3 },
};

console.log(`machine: ${machine()}`);
const wanted = process.env.REPORTS ? process.env.REPORTS.split(',') : Object.keys(SMOKE_SIZES);
for (const name of wanted) {
  const sizes = SMOKE ? Object.fromEntries(Object.entries(SMOKE_SIZES[name] ?? {}).filter(([k]) => process.env[k] === undefined).map(([k, v]) => [k, String(v)])) : {};
  coreReport(name, sizes);
}
