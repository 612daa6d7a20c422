//! Whole-graph heat-kernel columns of many nodes at once, by a Chebyshev expansion in blocks.
//!
//! The certified real-space rule ([`super::real_space_local`]) decides most columns on small
//! supports; columns whose decision needs a support of thousands of nodes (hubs, whose tiny
//! return probability `K_ii` must be compared with far entries, or near-ties) are instead
//! computed on the whole graph, `B` of them in lockstep on the relabelled operator of
//! [`crate::spectral::lockstep`].
//!
//! With `lam_bar >= lam_max(L)`, `t = 2 x / lam_bar - 1` and `a = tau lam_bar / 2`,
//!
//! `exp(-tau x) = e^{-a} I_0(a) + 2 sum_{k>=1} (-1)^k e^{-a} I_k(a) T_k(t)`
//!
//! (Jacobi-Anger; Tal-Ezer & Kosloff, J. Chem. Phys. 81, 3967 (1984)), so
//! `p_m(L) = sum_{k<=m} c_k T_k(2 L / lam_bar - I)` satisfies
//! `||exp(-tau L) - p_m(L)||_2 <= sum_{k>m} |c_k|` (`|T_k| <= 1` on the spectrum): an a-priori
//! bound on every entry of the columns. The scaled Bessel values `e^{-a} I_k(a)` come from
//! Miller's backward recurrence normalised by `e^{-a}(I_0 + 2 sum I_k) = 1`. `lam_bar` is the
//! Anderson-Morley bound `max_{ij in E} (d_i + d_j)` for unit weights and Gershgorin
//! `2 max d_i` otherwise. Cost per block: `m` passes over the CSR with `B`-wide rows,
//! `m ~ a + sqrt(60 a)` for a 1e-13 tail.

use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::laplacian::{LaplacianKind, SymLaplacian};
use crate::spectral::lockstep::{LockstepLaplacian, NodeOrder};

/// Largest expansion degree accepted (tau lam_max up to ~10^5).
const MAX_DEGREE: usize = 200_000;

/// Chebyshev coefficients `c_0..c_m` of `exp(-tau x)` on `[0, lam_bar]` with
/// `sum_{k>m} |c_k| <= tol`, and that tail bound.
pub fn chebyshev_exp_coefficients(tau: f64, lam_bar: f64, tol: f64) -> Result<(Vec<f64>, f64)> {
    let a = 0.5 * tau * lam_bar;
    if !(a.is_finite() && a >= 0.0) {
        return Err(Error::invalid_input(format!("tau * lam_max must be finite and >= 0 (got {a})")));
    }
    if a == 0.0 {
        return Ok((vec![1.0], 0.0));
    }
    // Backward recurrence I_{k-1} = I_{k+1} + (2k / a) I_k from well above the needed degree.
    let top = (a + 40.0 + 12.0 * a.sqrt()).ceil() as usize + 20;
    if top > MAX_DEGREE {
        return Err(Error::invalid_input(format!("tau * lam_max = {:.3e} is too large for the Chebyshev expansion", 2.0 * a)));
    }
    let mut v = vec![0.0f64; top + 2];
    v[top] = 1e-300;
    for k in (1..=top).rev() {
        v[k - 1] = v[k + 1] + (2.0 * k as f64 / a) * v[k];
        if v[k - 1] > 1e250 {
            for x in v[k - 1..].iter_mut() {
                *x *= 1e-250;
            }
        }
    }
    let total = v[0] + 2.0 * v[1..].iter().sum::<f64>();
    let scaled: Vec<f64> = v.iter().map(|x| x / total).collect();
    // Tail sums from the top.
    let mut tail = vec![0.0; top + 2];
    for k in (0..top + 1).rev() {
        tail[k] = tail[k + 1] + 2.0 * scaled[k + 1];
    }
    let m = (0..=top).find(|&k| tail[k] <= tol).unwrap_or(top);
    let c = (0..=m).map(|k| if k == 0 { scaled[0] } else { 2.0 * if k % 2 == 0 { scaled[k] } else { -scaled[k] } }).collect();
    Ok((c, tail[m]))
}

/// Upper bound on `lam_max` of the combinatorial Laplacian (see module docs).
pub fn lambda_max_bound(g: &Graph, strengths: &[f64]) -> f64 {
    let mut unit = true;
    let mut am = 0.0f64;
    for i in 0..g.n() {
        let (nb, w) = g.neighbors(i);
        for (&j, &wv) in nb.iter().zip(w) {
            if j as usize != i {
                unit &= wv == 1.0;
                am = am.max(strengths[i] + strengths[j as usize]);
            }
        }
    }
    let gersh = 2.0 * strengths.iter().cloned().fold(0.0, f64::max);
    // A little slack for the rounding of the strengths.
    (if unit { am } else { gersh }) * (1.0 + 1e-12)
}

/// Whole-graph columns `exp(-tau L) e_i` for many nodes, in blocks of `B`.
pub struct GlobalColumns {
    op: LockstepLaplacian,
    coef: Vec<f64>,
    scale: f64,
    /// A-priori bound on the error of every entry.
    pub error: f64,
}

impl GlobalColumns {
    pub fn new(g: &Graph, strengths: &[f64], tau: f64, tol: f64) -> Result<GlobalColumns> {
        let lam_bar = lambda_max_bound(g, strengths).max(f64::MIN_POSITIVE);
        let (coef, error) = chebyshev_exp_coefficients(tau, lam_bar, tol)?;
        let sym = SymLaplacian::new(g, LaplacianKind::Combinatorial);
        let comp = vec![0usize; g.n()];
        let z = vec![0.0; g.n()];
        let op = LockstepLaplacian::new(&sym, &comp, &z, NodeOrder::Degree);
        Ok(GlobalColumns { op, coef, scale: 2.0 / lam_bar, error })
    }

    /// Expansion degree.
    pub fn degree(&self) -> usize {
        self.coef.len() - 1
    }

    /// Calls `visit(k, column, raw, k)` for each `nodes[k]` with the column as a closure
    /// `j -> K_{j, nodes[k]}` over original labels (`raw[r * B + k]` is the entry of new label
    /// r). At most `B` nodes. Sequential (callers run blocks in parallel); `exec.check()`
    /// every expansion step.
    pub fn columns<const B: usize>(
        &self,
        nodes: &[usize],
        exec: &Exec,
        mut visit: impl FnMut(usize, &dyn Fn(usize) -> f64, &[f64], usize),
    ) -> Result<()> {
        let n = self.op.n();
        let b = nodes.len().min(B);
        if b == 0 {
            return Ok(());
        }
        let mut prev = vec![0.0f64; n * B];
        for (c, &i) in nodes.iter().take(b).enumerate() {
            prev[self.op.label(i) * B + c] = 1.0;
        }
        let mut acc: Vec<f64> = prev.iter().map(|x| x * self.coef[0]).collect();
        let mut cur = vec![0.0f64; n * B];
        let s = self.scale;
        let mut row = [0.0f64; B];
        if self.coef.len() > 1 {
            // T_1(t) Y0 = s L Y0 - Y0.
            let c1 = self.coef[1];
            for i in 0..n {
                self.op.row_product::<B>(i, &prev, &mut row);
                for c in 0..B {
                    let y = s * row[c] - prev[i * B + c];
                    cur[i * B + c] = y;
                    acc[i * B + c] += c1 * y;
                }
            }
        }
        for &ck in &self.coef[2.min(self.coef.len())..] {
            exec.check()?;
            // Y_{k+1} = 2 (s L - I) Y_k - Y_{k-1}, written over Y_{k-1}.
            for i in 0..n {
                self.op.row_product::<B>(i, &cur, &mut row);
                for c in 0..B {
                    let y = 2.0 * (s * row[c] - cur[i * B + c]) - prev[i * B + c];
                    prev[i * B + c] = y;
                    acc[i * B + c] += ck * y;
                }
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        for c in 0..b {
            let col = |j: usize| acc[self.op.label(j) * B + c];
            visit(c, &col, &acc[..], c);
        }
        Ok(())
    }

    /// The real-space links of each node `i` in `nodes` (at most `B`): all `j != i` with
    /// `K_ij >= f K_ii`, by original label.
    pub fn links<const B: usize>(&self, nodes: &[usize], f: f64, exec: &Exec) -> Result<Vec<Vec<u32>>> {
        let mut out = vec![Vec::new(); nodes.len().min(B)];
        self.columns::<B>(nodes, exec, |c, col, raw, _| {
            let i = nodes[c];
            let kii = col(i);
            for r in 0..self.op.n() {
                if raw[r * B + c] >= f * kii {
                    let j = self.op.original(r);
                    if j != i {
                        out[c].push(j as u32);
                    }
                }
            }
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::{barabasi_albert, erdos_renyi};
    use crate::laplacian;
    use crate::rg::kernel::SymmetricEigen;

    #[test]
    fn coefficients_reproduce_the_exponential() {
        for &(tau, lam) in &[(0.3, 10.0), (1.0, 600.0), (0.01, 4.0), (5.0, 2000.0)] {
            let (c, tail) = chebyshev_exp_coefficients(tau, lam, 1e-13).unwrap();
            assert!(tail <= 1e-13);
            for k in 0..=20 {
                let x = lam * k as f64 / 20.0;
                let t = 2.0 * x / lam - 1.0;
                // Clenshaw-free evaluation: T_k(t) = cos(k acos t).
                let p: f64 = c.iter().enumerate().map(|(k, ck)| ck * (k as f64 * t.clamp(-1.0, 1.0).acos()).cos()).sum();
                assert!((p - (-tau * x).exp()).abs() < 1e-12, "tau {tau} lam {lam} x {x}: {p}");
            }
        }
        assert_eq!(chebyshev_exp_coefficients(0.0, 5.0, 1e-13).unwrap().0, vec![1.0]);
        assert!(chebyshev_exp_coefficients(f64::INFINITY, 5.0, 1e-13).is_err());
    }

    #[test]
    fn columns_match_the_dense_kernel() {
        let ex = Exec::with_threads(2);
        for (g, tau) in [(barabasi_albert(300, 2, 5), 0.3), (erdos_renyi(300, 1.2, 6), 2.0)] {
            let d = laplacian::strengths_without_loops(&g);
            let lam = lambda_max_bound(&g, &d);
            let eig = SymmetricEigen::new(&laplacian::dense(&g, LaplacianKind::Combinatorial), &ex).unwrap();
            let exact_max = eig.lam.iter().cloned().fold(0.0, f64::max);
            assert!(lam >= exact_max, "bound {lam} < lam_max {exact_max}");
            let k = eig.kernel(tau, &ex).unwrap();
            let gc = GlobalColumns::new(&g, &d, tau, 1e-13).unwrap();
            let nodes = [0usize, 7, 123, 299, 150];
            let mut seen = 0;
            gc.columns::<8>(&nodes, &ex, |c, col, _, _| {
                seen += 1;
                for j in 0..300 {
                    assert!((col(j) - k[(j, nodes[c])]).abs() < 1e-11, "{j} {c}");
                }
            })
            .unwrap();
            assert_eq!(seen, 5);
        }
    }
}
