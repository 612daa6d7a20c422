/**
 * Upper bounds of the count options, one table for the API checks and the CLI's usage text, so
 * that a value the CLI accepts is never refused later by the API (and the reverse). Each bound
 * keeps a single call's memory and time finite on a workstation; they are far above any
 * scientific use (e.g. 10^6 tau values resolve C(tau) to 10^-5 decades).
 */
export const LIMITS = {
  /** log-spaced tau values of a scan */
  tauCount: 1_000_000,
  /** SLQ probe vectors */
  probes: 100_000,
  /** Lanczos steps per SLQ probe */
  lanczosSteps: 100_000,
  /** bond dimension of a tensor train (chi^2 x 2 doubles per core: 256 MiB at 4096) */
  chi: 4096,
  /** samples drawn from a tensor train (MPS sampling, DTNR entropy estimates) */
  samples: 100_000_000,
  /** coarse-graining steps of an RG flow */
  rgSteps: 10_000,
  /** surrogates of a significance test */
  surrogates: 10_000,
} as const;

/**
 * Where each bound applies: the CLI options (`command --option`) and API arguments that it
 * bounds. The README's limits table is generated from this and {@link LIMITS}
 * (`node scripts/limits-table.mjs --write`); a spec checks the table and the CLI options.
 */
export const LIMIT_USES: Record<keyof typeof LIMITS, { what: string; cli: string[]; api: string[] }> = {
  tauCount: { what: 'log-spaced tau values of a scan', cli: ['scan --tau-count'], api: ['spectralScan tauCount'] },
  probes: { what: 'SLQ probe vectors', cli: ['scan --probes'], api: ['spectralScan probes'] },
  lanczosSteps: { what: 'Lanczos steps per SLQ probe', cli: ['scan --steps'], api: ['spectralScan steps'] },
  chi: { what: 'bond dimension of a tensor train (chi^2 x 2 doubles per core: 256 MiB at 4096)', cli: ['mps fit --chi', 'dtnr --chi'], api: ['fitMps chi', 'dtnr chi'] },
  samples: { what: 'samples drawn from a tensor train (MPS sampling, DTNR entropy estimates)', cli: ['dtnr --samples'], api: ['sampleMps count', 'dtnr samples'] },
  rgSteps: { what: 'coarse-graining steps of an RG flow', cli: ['coarse-grain --steps', 'dtnr --steps'], api: ['rgFlow steps'] },
  surrogates: { what: 'surrogates of a significance test', cli: ['infer --surrogates'], api: ['inferSpikes / inferDense surrogates'] },
};

/** The README's limits table (Markdown), from {@link LIMITS} and {@link LIMIT_USES}. */
export function limitsTable(): string {
  const rows = (Object.keys(LIMITS) as (keyof typeof LIMITS)[]).map((k) => {
    const u = LIMIT_USES[k];
    return `| ${u.what} | ${LIMITS[k].toLocaleString('en-US')} | ${u.cli.map((c) => `\`${c}\``).join(', ')} | ${u.api.map((a) => `\`${a}\``).join(', ')} |`;
  });
  return ['| count | largest value | CLI | API |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
