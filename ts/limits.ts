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
