//! Latent Graph Diffusion (LGD): directed graph inference from subsampled activity.
//!
//! Pipeline (docs/lgd.md has the derivation):
//! 1. One streaming pass: `C(0..p)` of the full recording, of a training segment and a
//!    held-out segment (time split), and circular covariances for the surrogates.
//! 2. Standardise, build the VAR(p) design `(Γ, C₊)`.
//! 3. Sparse + low-rank program `B = S + L` (`lowrank.rs`) on the training segment for a grid
//!    of penalties `λ = a λ₀(T)`, `μ = b μ₀(T)` with the noise scales
//!    `λ₀ = (√p + √(2 ln N²))/√T`, `μ₀ = (√N + √(Np))/√T` (Agarwal, Negahban & Wainwright
//!    2012). The multipliers `(a, b)` maximise the held-out one-step Gaussian log-likelihood
//!    (coordinate search: `a` with `b = ∞`, then `b`, then `a` again); the program is refitted
//!    on the full recording with the chosen multipliers.
//! 4. Edge statistic: the de-sparsified sparse part `S̃ = Ŝ + (C₊ - (Ŝ+L̂)Γ)Γ^{-1} = B_YW - L̂`
//!    (Javanmard & Montanari 2014; van de Geer et al. 2014) summed over lags, standardised by
//!    the circular time-shift surrogates; Student-t p-values, Benjamini-Hochberg q-values.
//!    Ranking score: pairs in the support of `Ŝ` first, each tier ordered by the null-centred
//!    VAR statistic with an empirical-Bayes moderated surrogate variance ([`moderated_z_with`]).
//! 5. Output: weights (de-sparsified coupling, original units), the sparse estimate `Ŝ`,
//!    strongest lag, hidden low-rank modes (SVD of `L̂`), and the continuous-time generator of
//!    the lag-1 coupling when its logarithm is defined.

use crate::error::{Error, Result};
use crate::exec::{Exec, StageTimer};
use crate::infer::api::{assemble, Diagnostics, HiddenModes, InferOptions, InferredGraph, Method, RowStats};
use crate::infer::baselines::{generator_of, net, strongest_lag, unscale, var_stats};
use crate::infer::covariance::CovarianceSet;
use crate::infer::lowrank::{lipschitz, sparse_low_rank};
use crate::infer::penalty::{penalty_scales, select_penalties};
use crate::infer::surrogates::{pvalues_from_moments, surrogate_moments, SurrogateMoments};
use crate::infer::yule_walker::{design, residual_diag, scaled, standard_scale, VarDesign};
use crate::linalg::cols::{fold_cols, for_cols_mut, sum_in_order};
use faer::Mat;

/// Wald statistic of a lag-summed coupling `s_ij = Σ_k B̃_k,ij` (standardised units):
///
/// ```text
/// z_ij = s_ij / sqrt(σ_i² v_j / T),   v_j = 1_j^T (Γ + ρI)^{-1} 1_j,
/// ```
///
/// `1_j` the indicator of neuron `j`'s `p` lag columns, `σ_i²` the one-step residual
/// variance of `fitted` (the asymptotic variance of the de-sparsified estimator: Javanmard &
/// Montanari 2014, van de Geer et al. 2014). `T` is a common factor and is dropped (the
/// statistic is used for ranking only). Cost: `N` right-hand sides of the cached Cholesky
/// factor, `O(N (Np)²)`.
pub(crate) fn wald_z(
    d: &VarDesign,
    solver: &crate::infer::yule_walker::RidgeSolver,
    stat: &Mat<f64>,
    fitted: faer::MatRef<f64>,
    exec: &Exec,
) -> Result<Mat<f64>> {
    let (n, p) = (d.n, d.p);
    exec.check()?;
    let e = Mat::from_fn(n, n * p, |j, c| if c % n == j { 1.0 } else { 0.0 });
    let x = exec.install(|| solver.solve_right(e.as_ref()));
    let v: Vec<f64> = (0..n).map(|j| (0..p).map(|k| x[(j, k * n + j)]).sum::<f64>()).collect();
    exec.check()?;
    let sigma2 = residual_diag(d, fitted, exec);
    Ok(Mat::from_fn(n, n, |i, j| {
        let var = sigma2[i] * v[j];
        if var > 0.0 && var.is_finite() {
            stat[(i, j)] / var.sqrt()
        } else {
            0.0
        }
    }))
}

/// The net coupling of the VAR estimate minus its null mean: `net(B) - net(D₊ (Γ+ρI)^{-1})`,
/// `D₊` the diagonal-lag part of `C₊` (docs/lgd.md, "Ranking score"). Shared by LGD's ranking
/// and the accuracy harness's VAR-with-LGD-score column, so both rank the same statistic.
pub(crate) fn null_centred_net(vs: &crate::infer::baselines::VarStats, n: usize, p: usize, exec: &Exec) -> Mat<f64> {
    let diag_plus = Mat::from_fn(n, n * p, |i, c| if c % n == i { vs.design.cplus[(i, c)] } else { 0.0 });
    let null_mean = net(&exec.install(|| vs.solver.solve_right(diag_plus.as_ref())), n, p);
    &net(&vs.b, n, p) - &null_mean
}

/// Moderated statistic `z_ij = c_ij / sqrt(V̂_ij)` of a null-centred lag-summed coupling `c`:
/// the per-pair surrogate variance `V_ij` (from `M` shifts, `ln V` has sampling variance
/// `ψ'((M-1)/2)`, about 0.12 for `M = 19`) is replaced by an empirical-Bayes estimate. The
/// log-ratio to the analytic white-noise variance `a_ij = σ_i² v_j` of [`wald_z`] is fitted
/// by the two-way model `ln(V_ij/a_ij) ≈ α_i + β_j` (alternating row/column means over
/// off-diagonal pairs: each neuron's autocorrelation inflation, Bartlett 1946, estimated from
/// `N` pairs instead of `M` samples), and the residual is shrunk towards it by
/// `τ²/(τ² + ψ'((M-1)/2))`, `τ²` the excess residual variance (Smyth 2004's moderated
/// variances).
pub(crate) fn moderated_z(
    d: &VarDesign,
    solver: &crate::infer::yule_walker::RidgeSolver,
    stat: &Mat<f64>,
    sur: &[Mat<f64>],
    fitted: faer::MatRef<f64>,
    exec: &Exec,
) -> Result<Mat<f64>> {
    let ones = Mat::from_fn(d.n, d.n, |_, _| 1.0);
    let a = wald_z(d, solver, &ones, fitted, exec)?; // 1/sqrt(a_ij)
    Ok(exec.install(|| moderated_z_with(&a, stat, &surrogate_moments(sur))))
}

/// The VAR estimate ranked by LGD's moderated, null-centred statistic (no sparse selection, no
/// latent part; `N x N`, row = target): the "VAR + LGD score" column of the LIF accuracy report
/// (crates/diffrg-core/examples/reports/lif_accuracy.rs), which separates the score from the model.
#[doc(hidden)]
pub fn var_with_lgd_score(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<Mat<f64>> {
    let (n, p) = (set.n, o.max_lag);
    let vs = var_stats(set, o, exec)?;
    let centred = null_centred_net(&vs, n, p, exec);
    let sur: Vec<Mat<f64>> = vs.surrogate_b.iter().map(|b| net(b, n, p)).collect();
    moderated_z(&vs.design, &vs.solver, &centred, &sur, vs.b.as_ref(), exec)
}

/// [`moderated_z`] with the inverse white-noise standard deviations `a_ij = 1/sqrt(σ_i² v_j)`
/// precomputed (`wald_z` of a matrix of ones): the part that needs the surrogates.
pub(crate) fn moderated_z_with(a: &Mat<f64>, stat: &Mat<f64>, mo: &SurrogateMoments) -> Mat<f64> {
    let n = a.nrows();
    let m = mo.count as f64;
    // r_ij = ln(V_ij a_ij²) where defined (NaN marks the others); column-parallel on the
    // current rayon pool, as are the passes below.
    let mut r = Mat::<f64>::zeros(n, n);
    for_cols_mut(r.as_mut(), |j, rc| {
        for (i, x) in rc.iter_mut().enumerate() {
            let var = mo.var[(i, j)];
            *x = if i != j && a[(i, j)] != 0.0 && var > 0.0 { (var * a[(i, j)].powi(2)).ln() } else { f64::NAN };
        }
    });
    // Two-way fit r_ij ≈ α_i + β_j by alternating row and column means over defined pairs.
    let (mut al, mut be) = (vec![0.0; n], vec![0.0; n]);
    let row_count = sum_in_order(
        fold_cols(
            r.as_ref(),
            || vec![0.0; n],
            |acc, _, rc| {
                for (c, x) in acc.iter_mut().zip(rc) {
                    if !x.is_nan() {
                        *c += 1.0;
                    }
                }
            },
        ),
        n,
    );
    let col_count = fold_cols(r.as_ref(), Vec::new, |acc, _, rc| acc.push(rc.iter().filter(|x| !x.is_nan()).count() as f64)).concat();
    for _ in 0..10 {
        let row_sum = sum_in_order(
            fold_cols(
                r.as_ref(),
                || vec![0.0; n],
                |acc, j, rc| {
                    for (i, &x) in rc.iter().enumerate() {
                        if !x.is_nan() {
                            acc[i] += x - be[j];
                        }
                    }
                },
            ),
            n,
        );
        al = (0..n).map(|i| if row_count[i] > 0.0 { row_sum[i] / row_count[i] } else { 0.0 }).collect();
        let col_sum = fold_cols(r.as_ref(), Vec::new, |acc, _, rc| {
            acc.push(rc.iter().zip(&al).filter(|(x, _)| !x.is_nan()).map(|(x, a)| x - a).sum::<f64>())
        })
        .concat();
        be = (0..n).map(|j| if col_count[j] > 0.0 { col_sum[j] / col_count[j] } else { 0.0 }).collect();
    }
    // Empirical-Bayes shrinkage of the per-pair residual e_ij towards the two-way fit
    // (Smyth 2004): sampling variance of ln V is trigamma((M-1)/2); the excess is real
    // heterogeneity τ².
    let s2 = trigamma((m - 1.0) / 2.0);
    let parts = fold_cols(
        r.as_ref(),
        || [0.0; 2],
        |acc, j, rc| {
            for (i, &x) in rc.iter().enumerate().filter(|(_, x)| !x.is_nan()) {
                acc[0] += (x - al[i] - be[j]).powi(2);
                acc[1] += 1.0;
            }
        },
    );
    let (se, cnt) = parts.iter().fold((0.0, 0.0), |(s, c), p| (s + p[0], c + p[1]));
    let tau2 = if cnt > 0.0 { (se / cnt - s2).max(0.0) } else { 0.0 };
    let shrink = tau2 / (tau2 + s2);
    let mut z = Mat::<f64>::zeros(n, n);
    for_cols_mut(z.as_mut(), |j, zc| {
        for (i, x) in zc.iter_mut().enumerate().filter(|&(i, _)| a[(i, j)] != 0.0) {
            let fit = al[i] + be[j];
            let lv = if r[(i, j)].is_nan() { fit } else { fit + shrink * (r[(i, j)] - fit) };
            *x = stat[(i, j)] * a[(i, j)] * (-lv / 2.0).exp();
        }
    });
    z
}

/// Trigamma function `ψ'(x)`, `x > 0` (recurrence to `x >= 10`, then the asymptotic series;
/// absolute error below 1e-13).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x + x2 / 2.0 + (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0))) / (x * x * x)
}

/// Off-diagonal pairs in the support of the group-sparse `Ŝ` (any lag), row-major
/// `target * n + source`.
fn selected_pairs(s: &Mat<f64>, n: usize, p: usize) -> Vec<bool> {
    (0..n * n).map(|c| (c / n != c % n) && (0..p).any(|k| s[(c / n, k * n + c % n)] != 0.0)).collect()
}

/// Ranking score (row = target): pairs selected by the group-sparse estimate (`Ŝ_ij ≠ 0` at
/// any lag) in `[2, 3]`, the others in `[0, 1)`, each tier ordered by `|wald|`.
fn tiered_score_of(selected: &[bool], wald: &Mat<f64>) -> Mat<f64> {
    let n = wald.nrows();
    let wmax =
        (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).filter(|&(i, j)| i != j).map(|(i, j)| wald[(i, j)].abs()).fold(0.0, f64::max);
    Mat::from_fn(n, n, |i, j| {
        let w = if wmax > 0.0 { wald[(i, j)].abs() / wmax } else { 0.0 };
        if selected[i * n + j] {
            2.0 + w
        } else {
            w * (1.0 - 1e-9)
        }
    })
}

/// Runs LGD on the statistics of one covariance pass (see the module docs). The pass must
/// include the time split and the surrogate lags `d_m + 1..=p` ([`crate::infer::api::covariance_plan`]).
pub fn lgd(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<InferredGraph> {
    let (partial, sur) = lgd_partial(set, o, exec)?;
    let mut trace = StageTimer::new("lgd");
    let g = exec.install(|| partial.finish(&sur));
    trace.mark("surrogate null");
    g
}

/// Everything of an LGD result that does not depend on the surrogates, plus the statistics
/// the surrogate null is applied to (all `N × N`, row = target, column = source). A sharded
/// run ([`crate::infer::shard`]) computes it once and the surrogates in any grouping;
/// [`LgdPartial::finish`] is the same arithmetic for the sharded and the unsharded run.
#[derive(Debug, Clone)]
pub struct LgdPartial {
    /// The result with `zscore`, `pvalue`, `qvalue` and `score` still to be computed (filled
    /// from the weight alone, no surrogates).
    pub graph: InferredGraph,
    pub null: LgdNullInputs,
}

/// The statistics the surrogate null of LGD is applied to (`N × N`, row = target).
#[derive(Debug, Clone)]
pub struct LgdNullInputs {
    /// De-sparsified lag-summed statistic (the p-values' observed value).
    pub stat: Mat<f64>,
    /// Null-centred lag-summed `B_YW` (the ranking statistic).
    pub centred: Mat<f64>,
    /// `1/sqrt(σ_i² v_j)`, the inverse analytic white-noise standard deviation.
    pub inv_white_sd: Mat<f64>,
    /// Pairs selected by the group-sparse estimate `Ŝ` (any lag), row-major `target * n + source`.
    pub selected: Vec<bool>,
}

impl LgdNullInputs {
    /// `(stat, centred, inv_white_sd, selected)` row-major by target (`target * n + source`).
    pub fn to_rows(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<bool>) {
        let rows = |m: &Mat<f64>| (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])).collect::<Vec<f64>>();
        (rows(&self.stat), rows(&self.centred), rows(&self.inv_white_sd), self.selected.clone())
    }

    /// The inverse of [`LgdNullInputs::to_rows`].
    ///
    /// Errors: `ERR_INVALID_INPUT` unless every array holds `n × n` values.
    pub fn from_rows(n: usize, stat: &[f64], centred: &[f64], inv_white_sd: &[f64], selected: Vec<bool>) -> Result<Self> {
        let nn = n * n;
        if [stat.len(), centred.len(), inv_white_sd.len(), selected.len()].iter().any(|&l| l != nn) {
            return Err(Error::invalid_input(format!("merge: the null statistics of shard 0 must hold n x n = {nn} values each")));
        }
        let mat = |v: &[f64]| Mat::from_fn(n, n, |i, j| v[i * n + j]);
        Ok(LgdNullInputs { stat: mat(stat), centred: mat(centred), inv_white_sd: mat(inv_white_sd), selected })
    }

    /// z-scores, p-values, q-values and ranking scores in the output layout (`source * n +
    /// target`), from the lag-summed surrogate statistics in global surrogate order.
    pub fn apply(&self, sur: &[Mat<f64>]) -> Result<NullStats> {
        let n = self.stat.nrows();
        if let Some(k) = sur.iter().position(|s| s.nrows() != n || s.ncols() != n) {
            return Err(Error::invalid_input(format!("surrogate {k} is not {n} x {n}")));
        }
        // p-values test the direct (de-sparsified) coupling; the reported z-score is the
        // moderated statistic of the total coupling B_YW = S̃ + L̂ that also orders the ranking
        // tiers. Community detection weighs edges by it: on clustered networks the hidden-mode
        // part L̂ holds the shared within-community drive (the block mean of the coupling), so
        // z-scores of S̃ alone lose the communities (docs/lgd.md, "Output").
        if sur.len() < 2 {
            return Err(Error::invalid_input(format!("at least 2 surrogates are needed for p-values (got {})", sur.len())));
        }
        // One pass over the surrogates serves both the p-values and the moderated z-scores.
        let mo = surrogate_moments(sur);
        let (_, pv) = pvalues_from_moments(&self.stat, &mo);
        let zmod = moderated_z_with(&self.inv_white_sd, &self.centred, &mo);
        let score = tiered_score_of(&self.selected, &zmod);
        let g = assemble(
            Method::Lgd,
            RowStats { score: Some(score), weight: Mat::zeros(n, n), z: zmod, p: pv, lag: vec![], sparse: None },
            Diagnostics::default(),
        );
        Ok(NullStats { zscore: g.zscore, pvalue: g.pvalue, qvalue: g.qvalue, score: g.score })
    }
}

/// The surrogate-dependent outputs of LGD (output layout `source * n + target`).
#[derive(Debug, Clone, PartialEq)]
pub struct NullStats {
    pub zscore: Vec<f64>,
    pub pvalue: Vec<f64>,
    pub qvalue: Vec<f64>,
    pub score: Vec<f64>,
}

impl LgdPartial {
    /// The complete result given all surrogates (lag-summed, global order).
    pub fn finish(self, sur: &[Mat<f64>]) -> Result<InferredGraph> {
        let s = self.null.apply(sur)?;
        let mut g = self.graph;
        (g.zscore, g.pvalue, g.qvalue, g.score) = (s.zscore, s.pvalue, s.qvalue, s.score);
        Ok(g)
    }
}

/// The lag-summed surrogate statistics `Σ_k B^{(m)}_k` of a covariance pass, in the order of
/// its shifts.
pub(crate) fn surrogate_nets(vs: &crate::infer::baselines::VarStats, n: usize, p: usize) -> Vec<Mat<f64>> {
    vs.surrogate_b.iter().map(|b| net(b, n, p)).collect()
}

/// LGD up to the surrogate null: the partial result and the surrogates of `set`'s shifts.
pub fn lgd_partial(set: &CovarianceSet, o: &InferOptions, exec: &Exec) -> Result<(LgdPartial, Vec<Mat<f64>>)> {
    let (n, p) = (set.n, o.max_lag);
    let (train, test) = match (&set.train, &set.test) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(Error::invalid_input("lgd needs the time-split covariances (split_bin)")),
    };
    if set.max_lag < p {
        return Err(Error::invalid_input(format!("covariances up to lag {p} are needed (got {})", set.max_lag)));
    }
    let mut trace = StageTimer::new("lgd");
    // Held-out penalty search in the training segment's standardised units.
    let sc = standard_scale(&train.cov[0]);
    let d_tr = design(&scaled(&train.cov[..=p], &sc), p)?;
    let d_te = design(&scaled(&test.cov[..=p], &sc), p)?;
    let sel = select_penalties(&d_tr, &d_te, train.n_bins, test.n_bins, o, exec)?;
    trace.mark("penalty search");
    let (a_star, b_star, planned) = (sel.lambda_multiplier, sel.mu_multiplier, sel.planned);

    // Full-data refit at the chosen multipliers.
    exec.progress.set_done(planned - 1, planned);
    let vs = var_stats(set, o, exec)?;
    trace.mark("VAR and surrogate solves");
    let (l0f, m0f) = penalty_scales(n, p, set.full.n_bins);
    let lambda = a_star * l0f;
    let mu = if b_star.is_finite() { b_star * m0f } else { f64::INFINITY };
    let lip = lipschitz(&vs.design.gamma, exec)?;
    let fit = sparse_low_rank(&vs.design, lambda, mu, lip, sel.fit.as_ref(), &o.solver, exec)?;
    exec.progress.set(1.0);
    trace.mark("full-data refit");

    // De-sparsified statistic and surrogates.
    let deb = &vs.b - &fit.l;
    let stat = net(&deb, n, p);
    let sur = surrogate_nets(&vs, n, p);
    // Ranking: edges selected by the sparse program first, the others after them; within
    // each tier by the moderated null-centred statistic of the full coupling B_YW
    // (docs/lgd.md, "Ranking score"): the latent part decides which pairs are direct edges
    // (the support of Ŝ, fitted jointly with L̂) but is not subtracted from the ordering
    // statistic, since on clustered networks L̂ also absorbs the block mean of the true
    // connectivity.
    let fitted = &fit.s + &fit.l;
    let centred = null_centred_net(&vs, n, p, exec);
    let ones = Mat::from_fn(n, n, |_, _| 1.0);
    let inv_white_sd = wald_z(&vs.design, &vs.solver, &ones, fitted.as_ref(), exec)?;
    let selected = selected_pairs(&fit.s, n, p);
    let st = RowStats {
        score: None,
        weight: unscale(&stat, &vs.scale),
        z: Mat::zeros(n, n),
        p: Mat::from_fn(n, n, |_, _| 1.0),
        lag: strongest_lag(&deb, n, p),
        sparse: Some(unscale(&net(&fit.s, n, p), &vs.scale)),
    };
    let diagnostics =
        Diagnostics { lambda, mu, cv: sel.points, iterations: fit.iterations, converged: fit.converged, ..Default::default() };
    let mut g = assemble(Method::Lgd, st, diagnostics);
    g.hidden = Some(HiddenModes {
        rank: fit.rank,
        singular_values: fit.singular_values.clone(),
        target_loadings: fit.u.clone(),
        source_loadings: fit.v.clone(),
    });
    let a1 = &fit.s + &fit.l;
    g.generator = generator_of(&a1, &vs.scale, o, exec)?;
    trace.mark("statistics and generator");
    Ok((LgdPartial { graph: g, null: LgdNullInputs { stat, centred, inv_white_sd, selected } }, sur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::api::{infer_dense, infer_raster};
    use crate::infer::covariance::OwnedRaster;
    use crate::infer::metrics::{aupr, auroc};
    use crate::infer::penalty::paired_loglik_se;
    use crate::infer::synthetic::*;

    fn scores(g: &InferredGraph) -> Vec<f64> {
        g.offdiag_scores()
    }

    fn compare(label: &str, truth: &GroundTruth, obs: &[usize], run: &dyn Fn(Method) -> InferredGraph) -> Vec<(Method, f64, f64)> {
        let labels = edge_labels(truth, obs);
        let mut out = vec![];
        for m in [Method::Lgd, Method::Var, Method::PartialCorrelation, Method::Correlation] {
            let g = run(m);
            let s = scores(&g);
            let (roc, pr) = (auroc(&s, &labels).unwrap(), aupr(&s, &labels).unwrap());
            eprintln!(
                "{label} {:>20}: AUROC {roc:.3} AUPR {pr:.3} rank {:?} cv {:?}",
                m.as_str(),
                g.hidden.as_ref().map(|h| h.rank),
                g.diagnostics
                    .cv
                    .iter()
                    .map(|c| (c.lambda_multiplier, c.mu_multiplier, (c.loglik * 1000.0).round() / 1000.0, c.rank))
                    .collect::<Vec<_>>()
            );
            if !g.sparse_weight.is_empty() {
                let sw: Vec<f64> = offdiag(&g.sparse_weight, g.n).iter().map(|x| x.abs()).collect();
                eprintln!("{label}   lgd |S|: AUROC {:.3} AUPR {:.3}", auroc(&sw, &labels).unwrap(), aupr(&sw, &labels).unwrap());
            }
            out.push((m, roc, pr));
        }
        out
    }

    fn assert_lgd_wins(all: &[Vec<(Method, f64, f64)>]) {
        for res in all {
            let (_, roc, pr) = res[0];
            for &(m, r, p) in &res[1..] {
                assert!(roc > r, "{}: AUROC {roc} <= {r}", m.as_str());
                assert!(pr > p, "{}: AUPR {pr} <= {p}", m.as_str());
            }
        }
    }

    #[test]
    fn dense_neuron_major_matches_time_major() {
        let truth =
            clustered_network(&NetworkOptions { n: 12, clusters: 2, degree_in: 2.0, degree_out: 0.5, seed: 5, ..Default::default() })
                .unwrap();
        let (x, _) = simulate_var1(&truth, 0.3, 0.8, 2_000, 6).unwrap();
        let (t, n) = (x.nrows(), x.ncols());
        let data: Vec<f64> = (0..n * t).map(|k| x[(k % t, k / t)]).collect();
        let o = InferOptions { generator: false, ..Default::default() };
        let exec = Exec::with_threads(1);
        let a = infer_dense(x.as_ref(), &o, &exec).unwrap();
        let b = crate::infer::api::infer_dense_neuron_major(&data, n, t, &o, &exec).unwrap();
        assert_eq!(a.weight, b.weight);
        assert_eq!(a.score, b.score);
        let mut bad = data.clone();
        bad[3 * t + 7] = f64::NAN;
        let e = crate::infer::api::infer_dense_neuron_major(&bad, n, t, &o, &exec).unwrap_err();
        assert!(e.to_string().contains("neuron 3 sample 7"), "{e}");
        assert!(crate::infer::api::infer_dense_neuron_major(&data[1..], n, t, &o, &exec).is_err());
    }

    #[test]
    fn paired_se_vanishes_for_equal_models_and_scales_with_t() {
        let c0 = Mat::from_fn(3, 3, |i, j| if i == j { 1.0 } else { 0.2 });
        let c1 = Mat::from_fn(3, 3, |i, j| if i == j { 0.4 } else { 0.1 });
        let d = design(&[c0, c1], 1).unwrap();
        let exec = Exec::with_threads(1);
        let b = Mat::from_fn(3, 3, |i, j| if i == j { 0.4 } else { 0.05 });
        let b2 = Mat::from_fn(3, 3, |i, j| if i == j { 0.4 } else { 0.0 });
        assert_eq!(paired_loglik_se(&d, &d, &b, &b, 100, &exec), 0.0);
        let (s1, s4) = (paired_loglik_se(&d, &d, &b, &b2, 100, &exec), paired_loglik_se(&d, &d, &b, &b2, 400, &exec));
        assert!(s1 > 0.0 && (s1 / s4 - 2.0).abs() < 1e-12);
    }

    #[test]
    fn trigamma_matches_closed_forms() {
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-10);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-10);
        assert!((trigamma(9.0) - (pi2 / 6.0 - (1..9).map(|k| 1.0 / (k * k) as f64).sum::<f64>())).abs() < 1e-10);
    }

    #[test]
    fn moderated_z_recovers_separable_surrogate_variance() {
        // Surrogates whose per-pair spread is exactly a_ij * exp(α_i + β_j) (two values ±sd):
        // no residual heterogeneity, so z = c / sd exactly.
        let (n, p) = (4, 1);
        let c0 = Mat::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.1 });
        let c1 = Mat::from_fn(n, n, |i, j| if i == j { 0.3 } else { 0.02 * (i + 2 * j) as f64 });
        let d = design(&[c0, c1], p).unwrap();
        let exec = Exec::with_threads(1);
        let solver = crate::infer::yule_walker::RidgeSolver::new(&d.gamma, 1e-3, &exec).unwrap();
        let b = solver.solve_right(d.cplus.as_ref());
        let ones = Mat::from_fn(n, n, |_, _| 1.0);
        let inv_sd_white = wald_z(&d, &solver, &ones, b.as_ref(), &exec).unwrap();
        let sd = Mat::from_fn(n, n, |i, j| (1.0 + 0.5 * i as f64) * (1.0 + 0.25 * j as f64) / inv_sd_white[(i, j)]);
        let sur: Vec<Mat<f64>> = (0..20).map(|m| Mat::from_fn(n, n, |i, j| if m % 2 == 0 { sd[(i, j)] } else { -sd[(i, j)] })).collect();
        // Sample variance of ±sd over 20 values: sd² · 20/19.
        let c = Mat::from_fn(n, n, |i, j| (i as f64 - j as f64) * 0.01);
        let z = moderated_z(&d, &solver, &c, &sur, b.as_ref(), &exec).unwrap();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let want = c[(i, j)] / (sd[(i, j)] * (20.0f64 / 19.0).sqrt());
                    assert!((z[(i, j)] - want).abs() < 1e-9 * (1.0 + want.abs()), "({i},{j}) {} vs {want}", z[(i, j)]);
                }
            }
        }
    }

    #[test]
    fn var1_hidden_nodes_lgd_beats_baselines() {
        let truth = clustered_network(&NetworkOptions {
            n: 80,
            clusters: 4,
            degree_in: 3.0,
            degree_out: 0.5,
            hubs: 1,
            w_hub: 1.0,
            hub_self: 3.0,
            seed: 11,
            ..Default::default()
        })
        .unwrap();
        let (x, _) = simulate_var1(&truth, 0.3, 0.85, 20_000, 12).unwrap();
        let mut all = vec![];
        for frac in [0.5, 0.2] {
            let obs = observe(truth.n, frac, 13);
            let xo = Mat::from_fn(x.nrows(), obs.len(), |t, k| x[(t, obs[k])]);
            let run = |m: Method| {
                let o = InferOptions { method: m, generator: false, ..Default::default() };
                infer_dense(xo.as_ref(), &o, &Exec::with_threads(2)).unwrap()
            };
            let res = compare(&format!("var1 {frac}"), &truth, &obs, &run);
            all.push(res);
        }
        assert_lgd_wins(&all);
    }

    /// VAR(1) activity of a clustered network of `n` neurons with two slow common-input hubs
    /// per cluster, never observed, and `frac` of the other neurons observed: (truth, observed
    /// ids, `steps × observed` activity).
    fn hidden_hub_activity(n: usize, steps: usize, frac: f64) -> (GroundTruth, Vec<usize>, Mat<f64>) {
        let truth = clustered_network(&NetworkOptions {
            n,
            clusters: 4,
            degree_in: 3.0,
            degree_out: 0.5,
            hubs: 2,
            w_hub: 1.0,
            hub_self: 3.0,
            seed: 31,
            ..Default::default()
        })
        .unwrap();
        let hub_ids: Vec<usize> = truth.edges.iter().filter(|e| e.0 == e.1).map(|e| e.0).collect();
        let (x, _) = simulate_var1(&truth, 0.3, 0.9, steps, 32).unwrap();
        let visible: Vec<usize> = (0..truth.n).filter(|i| !hub_ids.contains(i)).collect();
        let obs: Vec<usize> = observe(visible.len(), frac, 33).into_iter().map(|k| visible[k]).collect();
        let xo = Mat::from_fn(x.nrows(), obs.len(), |t, k| x[(t, obs[k])]);
        (truth, obs, xo)
    }

    /// The thread count changes the speed only. Every column-parallel reduction of diffrg's own
    /// adds its task sums in a fixed order (crate::linalg::cols), so VAR gives the same bits on
    /// 1 and 3 threads; faer's factorizations inside the SVT may round differently on different
    /// thread counts, which moves LGD's outputs by a few ulps at most.
    #[test]
    fn lgd_is_the_same_on_any_thread_count() {
        let (_, _, xo) = hidden_hub_activity(260, 6_000, 0.85);
        let o = InferOptions { generator: false, mu_grid: vec![2.0, 0.5], lambda_grid: vec![2.0, 1.0], ..Default::default() };
        let one = infer_dense(xo.as_ref(), &o, &Exec::with_threads(1)).unwrap();
        let three = infer_dense(xo.as_ref(), &o, &Exec::with_threads(3)).unwrap();
        assert!(one.diagnostics.cv.iter().any(|c| c.rank > 0), "no fit with a latent part was evaluated");
        let ov = InferOptions { method: Method::Var, ..o.clone() };
        let (v1, v3) = (
            infer_dense(xo.as_ref(), &ov, &Exec::with_threads(1)).unwrap(),
            infer_dense(xo.as_ref(), &ov, &Exec::with_threads(3)).unwrap(),
        );
        assert_eq!((&v1.weight, &v1.pvalue, &v1.qvalue, &v1.zscore), (&v3.weight, &v3.pvalue, &v3.qvalue, &v3.zscore));
        assert_eq!(one.diagnostics.cv.len(), three.diagnostics.cv.len());
        for (a, b) in one.diagnostics.cv.iter().zip(&three.diagnostics.cv) {
            assert!((a.loglik - b.loglik).abs() <= 1e-10 * a.loglik.abs(), "{a:?} vs {b:?}");
            assert_eq!((a.rank, a.edges), (b.rank, b.edges));
        }
        assert_eq!(one.hidden.as_ref().map(|h| h.rank), three.hidden.as_ref().map(|h| h.rank));
        for (name, a, b) in
            [("weight", &one.weight, &three.weight), ("zscore", &one.zscore, &three.zscore), ("pvalue", &one.pvalue, &three.pvalue)]
        {
            let scale = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let d = a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
            assert!(d <= 1e-12 * scale, "{name}: {d:e} of {scale:e}");
        }
        assert_eq!(one.score.iter().filter(|&&x| x >= 2.0).count(), three.score.iter().filter(|&&x| x >= 2.0).count());
    }

    /// Hidden population modes (issue 12): two slow common-input hubs per cluster drive their
    /// whole cluster and are never observed; half of the other neurons are. The held-out
    /// search must select the low-rank correction (rank > 0) and it must raise AUROC and AUPR
    /// over the same LGD without a latent part.
    #[test]
    fn hidden_assemblies_select_low_rank_and_raise_auroc() {
        let (rank, roc, roc0, pr, pr0) = hidden_assemblies(120, 2, 20_000, 0.5, 31).unwrap();
        eprintln!("hidden assemblies: rank {rank}, AUROC {roc:.4} vs {roc0:.4}, AUPR {pr:.4} vs {pr0:.4} without the latent part");
        assert!(rank > 0, "no latent part selected");
        assert!(roc > roc0 + 0.002, "AUROC {roc} vs {roc0} without the latent part");
        assert!(pr > pr0, "AUPR {pr} vs {pr0} without the latent part");
    }

    /// Within-cluster minus between-cluster mean of an `n × n` output array (off-diagonal pairs
    /// of observed neurons), in units of its standard deviation over all pairs.
    fn cluster_contrast(a: &[f64], n: usize, cluster: &dyn Fn(usize) -> usize) -> f64 {
        let (mut w, mut b, mut all) = (vec![], vec![], vec![]);
        for s in 0..n {
            for t in 0..n {
                if s != t {
                    let v = a[s * n + t];
                    all.push(v);
                    if cluster(s) == cluster(t) {
                        w.push(v)
                    } else {
                        b.push(v)
                    }
                }
            }
        }
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let m = mean(&all);
        let sd = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / all.len() as f64).sqrt();
        (mean(&w) - mean(&b)) / sd
    }

    /// LGD's `zscore` is that of the total coupling `B_YW = S̃ + L̂`: when hidden hubs drive
    /// whole clusters and a latent part is selected, the z-scores keep the within-cluster drive
    /// that `L̂` absorbs (what community detection weighs edges by), unlike the direct part
    /// `S̃ = B_YW - L̂` (`weight`).
    #[test]
    fn zscore_keeps_the_cluster_drive_the_latent_part_absorbs() {
        let (truth, obs, xo) = hidden_hub_activity(120, 20_000, 0.5);
        let exec = Exec::with_threads(2);
        let lgd = infer_dense(xo.as_ref(), &InferOptions { generator: false, ..Default::default() }, &exec).unwrap();
        let var = infer_dense(xo.as_ref(), &InferOptions { method: Method::Var, generator: false, ..Default::default() }, &exec).unwrap();
        let rank = lgd.hidden.as_ref().map_or(0, |h| h.rank);
        let cl = |k: usize| truth.clusters[obs[k]];
        let (m, n) = (lgd.n, lgd.n);
        let (cz, cv, cw) =
            (cluster_contrast(&lgd.zscore, m, &cl), cluster_contrast(&var.zscore, n, &cl), cluster_contrast(&lgd.weight, m, &cl));
        eprintln!("rank {rank}: cluster contrast of LGD zscore {cz:.3}, VAR zscore {cv:.3}, LGD weight (S~) {cw:.3}");
        assert!(rank > 0, "no latent part selected");
        assert!(cz > cw, "LGD zscore contrast {cz} <= that of S~ {cw}");
        assert!(cz > 0.8 * cv, "LGD zscore contrast {cz} far below VAR's {cv}");
    }

    #[test]
    fn spiking_hidden_nodes_lgd_beats_baselines() {
        let truth = clustered_network(&NetworkOptions {
            n: 100,
            clusters: 4,
            degree_in: 4.0,
            degree_out: 0.5,
            w_exc: 0.01,
            w_inh: 0.01,
            hubs: 1,
            w_hub: 0.01,
            hub_self: 0.85,
            seed: 21,
            ..Default::default()
        })
        .unwrap();
        let t = 100_000;
        let trains = simulate_lnp(&truth, 0.02, &[0.7, 0.3], t, 22).unwrap();
        let mut all = vec![];
        for frac in [0.5, 0.2] {
            let obs = observe(truth.n, frac, 23);
            let sub: Vec<Vec<u32>> = obs.iter().map(|&i| trains[i].clone()).collect();
            let raster = OwnedRaster::from_trains(t, &sub).unwrap();
            let run = |m: Method| {
                let o = InferOptions { method: m, max_lag: 2, generator: false, ..Default::default() };
                infer_raster(&raster.view(), &o, &Exec::with_threads(2)).unwrap()
            };
            let res = compare(&format!("lnp {frac}"), &truth, &obs, &run);
            all.push(res);
        }
        assert_lgd_wins(&all);
    }
}

// Timing and report harnesses (LGD at scale, the covariance pass, the hidden-assemblies table,
// the LIF comparison over seeds x fractions x methods): crates/diffrg-core/examples/reports/,
// run by `npm run bench -- lgd-scale` and `npm run bench -- core-reports`.
