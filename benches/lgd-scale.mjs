// LGD at scale and the covariance pass alone: the Rust harnesses `lgd_scale` and
// `lgd_covariance_pass` of crates/diffrg-core/examples/reports (benches/README.md lists the knobs).
//   full: 1,000 observed neurons x one hour at 1 ms bins (docs/lgd.md, "Speed"); LGD_N, LGD_T,
//   LGD_METHODS, LGD_THREADS override. Smoke: 20 neurons x 5,000 bins.
import { coreReport, machine, sized } from './_common.mjs';

console.log(`machine: ${machine()}`);
const knob = (k, full, smoke) => ({ [k]: process.env[k] ?? String(sized(full, smoke)) });
coreReport('lgd_scale', { ...knob('LGD_N', 1000, 20), ...knob('LGD_T', 3_600_000, 5000) });
coreReport('lgd_covariance_pass', { ...knob('LGD_N', 200, 20), ...knob('LGD_T', 200_000, 5000) });
