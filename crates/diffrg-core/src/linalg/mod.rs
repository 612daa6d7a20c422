//! Dense linear algebra that faer does not provide in the form diffrg needs.
//!
//! - [`sym_eig`]: eigenvalues of a dense symmetric matrix by two-stage tridiagonalization
//!   (dense to band with matrix products; [`band_chase`]: band to tridiagonal by bulge chasing;
//!   [`tridiag_ql`]: root-free QL on the tridiagonal matrix).
//! - [`cols`]: column-parallel passes whose reductions give the same bits on any thread count.

pub mod band_chase;
pub mod cols;
mod reflector;
pub mod sym_eig;
pub mod tridiag_ql;

pub use sym_eig::{sym_eigenvalues, DEFAULT_BANDWIDTH};

#[cfg(test)]
pub(crate) mod testutil {
    use faer::Mat;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub fn random_sym(n: usize, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut a = Mat::<f64>::zeros(n, n);
        for j in 0..n {
            for i in j..n {
                let x: f64 = rng.random_range(-1.0..1.0);
                a[(i, j)] = x;
                a[(j, i)] = x;
            }
        }
        a
    }

    pub fn reference(a: &Mat<f64>) -> Vec<f64> {
        let mut v = a.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        v.sort_by(|x, y| x.total_cmp(y));
        v
    }

    pub fn norm(a: &Mat<f64>) -> f64 {
        a.norm_l2().max(f64::MIN_POSITIVE)
    }
}
