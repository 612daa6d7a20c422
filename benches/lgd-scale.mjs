// LGD at scale and the covariance pass alone: the Rust harnesses of crates/diffrg-core/examples
// (lgd_scale.rs, lgd_covariance_pass.rs; formerly `#[ignore]` tests in src/infer/lgd.rs), built
// in the addon's release profile and target (dependencies shared with `npm run build`).
//   full: 1,000 observed neurons x one hour at 1 ms bins (docs/lgd.md, "Speed"); LGD_N, LGD_T,
//   LGD_METHODS, LGD_THREADS override. Smoke: 20 neurons x 5,000 bins.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SMOKE, here, machine, sized } from './_common.mjs';

const host = createRequire(import.meta.url)('../scripts/host.js');
console.log(`machine: ${machine()}`);
const sizes = {
  LGD_N: process.env.LGD_N ?? String(sized(1000, 20)),
  LGD_T: process.env.LGD_T ?? String(sized(3_600_000, 5000)),
};
for (const [example, env] of [
  ['lgd_scale', sizes],
  ['lgd_covariance_pass', { LGD_N: process.env.LGD_N ?? String(sized(200, 20)), LGD_T: process.env.LGD_T ?? String(sized(200_000, 5000)) }],
]) {
  console.log(`-- ${example} (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})${SMOKE ? ' [smoke]' : ''}`);
  execFileSync('cargo', ['run', '--quiet', '--release', '--target', host, '-p', 'diffrg-core', '--example', example], {
    cwd: join(here, '..'),
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}
