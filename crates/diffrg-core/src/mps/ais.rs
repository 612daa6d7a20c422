//! Annealed importance sampling of the pairwise model's partition function (Neal, Stat. Comput.
//! 11, 125 (2001)): from the independent model `p_0` along `ln f_beta = (1 - beta) ln p_0 +
//! beta ln f`, one Gibbs sweep per temperature, `ln Z` with a delta-method standard error over
//! the chains. Used by [`Pairwise::compute_log_z`] beyond the exact-enumeration limit.

use super::baselines::{Pairwise, PairwiseOptions};
use super::dense::log_sum_exp;
use crate::error::Result;
use crate::exec::Exec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

impl Pairwise {
    /// Annealed importance sampling estimate of `ln Z` and its standard error.
    pub(crate) fn ais(&self, marg: &[Vec<f64>], opts: &PairwiseOptions, exec: &Exec) -> Result<(f64, f64)> {
        let n = self.dims.len();
        let nf = self.h.len();
        let chains = opts.ais_chains.max(2);
        let steps = opts.ais_steps.max(1);
        let lp0: Vec<Vec<f64>> = marg.iter().map(|p| p.iter().map(|x| x.ln()).collect()).collect();
        let log_p0 = |s: &[u8]| -> f64 { s.iter().enumerate().map(|(k, &v)| lp0[k][v as usize]).sum() };
        let logw: Vec<f64> = exec.install(|| {
            (0..chains)
                .into_par_iter()
                .map(|c| -> Result<f64> {
                    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
                    rng.set_stream(c as u64);
                    // exact sample from p0
                    let mut s: Vec<u8> = (0..n)
                        .map(|k| {
                            let mut u = rng.random::<f64>();
                            let mut v = marg[k].len() - 1;
                            for (a, &p) in marg[k].iter().enumerate() {
                                if u < p {
                                    v = a;
                                    break;
                                }
                                u -= p;
                            }
                            v as u8
                        })
                        .collect();
                    // local fields: field[ft] = sum_{active b} J[ft, b]
                    let mut field = vec![0.0; nf];
                    let recompute = |s: &[u8], field: &mut Vec<f64>| {
                        field.iter_mut().for_each(|x| *x = 0.0);
                        for (k, &v) in s.iter().enumerate() {
                            if v > 0 {
                                let b = self.offsets[k] + v as usize - 1;
                                for ft in 0..nf {
                                    field[ft] += self.j[ft * nf + b];
                                }
                            }
                        }
                    };
                    recompute(&s, &mut field);
                    let mut count = s.iter().filter(|&&x| x > 0).count();
                    let mut lw = 0.0;
                    let mut logits = vec![0.0; 256];
                    for t in 1..=steps {
                        if t % 64 == 0 {
                            exec.check()?;
                        }
                        let (b0, b1) = ((t - 1) as f64 / steps as f64, t as f64 / steps as f64);
                        lw += (b1 - b0) * (self.log_f(&s) - log_p0(&s));
                        // one Gibbs sweep at beta = b1
                        for k in 0..n {
                            let d = self.dims[k];
                            let old = s[k];
                            // remove own contribution is unnecessary: J within a site is 0
                            let others = count - (old > 0) as usize;
                            for a in 0..d {
                                let mut energy = if a == 0 {
                                    0.0
                                } else {
                                    let f = self.offsets[k] + a - 1;
                                    self.h[f] + field[f]
                                };
                                if !self.v.is_empty() {
                                    energy += self.v[others + (a > 0) as usize];
                                }
                                logits[a] = (1.0 - b1) * lp0[k][a] + b1 * energy;
                            }
                            let lse = log_sum_exp(&logits[..d]);
                            let mut u = rng.random::<f64>();
                            let mut new = d - 1;
                            for a in 0..d {
                                let p = (logits[a] - lse).exp();
                                if u < p {
                                    new = a;
                                    break;
                                }
                                u -= p;
                            }
                            if new as u8 != old {
                                if old > 0 {
                                    let b = self.offsets[k] + old as usize - 1;
                                    for ft in 0..nf {
                                        field[ft] -= self.j[ft * nf + b];
                                    }
                                }
                                if new > 0 {
                                    let b = self.offsets[k] + new - 1;
                                    for ft in 0..nf {
                                        field[ft] += self.j[ft * nf + b];
                                    }
                                }
                                s[k] = new as u8;
                                count = others + (new > 0) as usize;
                            }
                        }
                    }
                    Ok(lw)
                })
                .collect::<Result<Vec<_>>>()
        })?;
        // ln Z = ln Z0 + ln mean exp(lw), Z0 = 1 (p0 normalised)
        let m = logw.len() as f64;
        let lmean = log_sum_exp(&logw) - m.ln();
        let r: Vec<f64> = logw.iter().map(|v| (v - lmean).exp()).collect();
        let var = r.iter().map(|x| (x - 1.0).powi(2)).sum::<f64>() / (m - 1.0);
        Ok((lmean, (var / m).sqrt()))
    }
}
