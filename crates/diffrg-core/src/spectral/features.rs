//! Features of a specific-heat curve `C(tau)` on a log-spaced grid: entropy transitions (peaks)
//! and the scale-invariance plateau.
//!
//! - Transition: an interior local maximum `C_i >= C_{i-1}`, `C_i > C_{i+1}` whose topographic
//!   prominence (its height above the higher of the two minima separating it from a higher point,
//!   or from the grid ends) is at least `prominence * max C`. Default `prominence = 0.05`.
//! - Plateau: the widest window `[tau_a, tau_b]` (in decades `log10(tau_b / tau_a)`) on which
//!   `max C - min C <= tolerance * mean C` and `mean C >= 0.1 max C`; its level is the mean of C on
//!   the window. Default `tolerance = 0.1` (C within about +-5% of the level). Following Nurisso
//!   et al. (2024), the width measures scale invariance; on the plateau `C = d_s / 2`.

/// A local maximum of C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    pub tau: f64,
    pub specific_heat: f64,
    pub prominence: f64,
}

/// The widest flat stretch of C.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Plateau {
    pub level: f64,
    pub decades: f64,
    pub tau_start: f64,
    pub tau_end: f64,
}

/// Local maxima of `c` over `tau` with prominence at least `prominence * max(c)`.
/// Complexity: O(T^2) worst case (T grid points, a few hundred).
pub fn transitions(tau: &[f64], c: &[f64], prominence: f64) -> Vec<Transition> {
    let t = c.len().min(tau.len());
    let cmax = c[..t].iter().cloned().fold(0.0, f64::max);
    let mut out = Vec::new();
    if t < 3 || cmax <= 0.0 {
        return out;
    }
    for i in 1..t - 1 {
        if !(c[i] >= c[i - 1] && c[i] > c[i + 1]) {
            continue;
        }
        // Walk left/right until a strictly higher point, tracking the minimum on the way.
        let side = |range: &mut dyn Iterator<Item = usize>| -> f64 {
            let mut lo = c[i];
            for j in range {
                if c[j] > c[i] {
                    return lo;
                }
                lo = lo.min(c[j]);
            }
            lo
        };
        let left = side(&mut (0..i).rev());
        let right = side(&mut (i + 1..t));
        let prom = c[i] - left.max(right);
        if prom >= prominence * cmax {
            out.push(Transition { tau: tau[i], specific_heat: c[i], prominence: prom });
        }
    }
    out
}

/// The widest window where C is flat within `tolerance` (relative to its mean) and at least
/// 10% of max C. Returns a zero-width plateau when no two neighbouring points qualify.
///
/// Two pointers with monotone deques for the running max / min: for every right end the left
/// end advances until the window is flat again. Complexity: O(T).
pub fn plateau(tau: &[f64], c: &[f64], tolerance: f64) -> Plateau {
    use std::collections::VecDeque;
    let t = c.len().min(tau.len());
    let cmax = c[..t].iter().cloned().fold(0.0, f64::max);
    let mut best = Plateau::default();
    if t < 2 || cmax <= 0.0 {
        return best;
    }
    let (mut maxq, mut minq): (VecDeque<usize>, VecDeque<usize>) = (VecDeque::new(), VecDeque::new());
    let (mut a, mut sum) = (0usize, 0.0f64);
    for b in 0..t {
        while maxq.back().is_some_and(|&k| c[k] <= c[b]) {
            maxq.pop_back();
        }
        maxq.push_back(b);
        while minq.back().is_some_and(|&k| c[k] >= c[b]) {
            minq.pop_back();
        }
        minq.push_back(b);
        sum += c[b];
        loop {
            let (hi, lo) = (c[maxq[0]], c[minq[0]]);
            let mean = sum / (b - a + 1) as f64;
            if hi - lo <= tolerance * mean || a == b {
                break;
            }
            sum -= c[a];
            a += 1;
            if maxq[0] < a {
                maxq.pop_front();
            }
            if minq[0] < a {
                minq.pop_front();
            }
        }
        let mean = sum / (b - a + 1) as f64;
        let decades = (tau[b] / tau[a]).log10();
        if b > a && mean >= 0.1 * cmax && decades > best.decades {
            best = Plateau { level: mean, decades, tau_start: tau[a], tau_end: tau[b] };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_with_prominence() {
        let tau: Vec<f64> = (0..9).map(|i| 10f64.powi(i)).collect();
        let c = [0.0, 1.0, 0.2, 0.21, 0.2, 2.0, 1.9, 1.95, 0.0];
        let p = transitions(&tau, &c, 0.05);
        // 0.21 has prominence 0.01 < 0.1; 1.95 has prominence 0.05 < 0.1.
        assert_eq!(p.iter().map(|x| x.specific_heat).collect::<Vec<_>>(), vec![1.0, 2.0]);
        assert!((p[0].prominence - 0.8).abs() < 1e-12 && (p[1].prominence - 2.0).abs() < 1e-12);
        assert!(transitions(&tau[..2], &c[..2], 0.05).is_empty());
    }

    #[test]
    fn widest_flat_window() {
        let tau: Vec<f64> = (0..10).map(|i| 10f64.powf(i as f64 * 0.5)).collect();
        let c = [0.0, 0.5, 1.0, 1.02, 0.98, 1.01, 1.0, 0.5, 0.52, 0.0];
        let p = plateau(&tau, &c, 0.1);
        assert!((p.decades - 2.0).abs() < 1e-12, "{p:?}");
        assert!((p.level - 1.002).abs() < 1e-12);
        assert_eq!(plateau(&tau, &[0.0; 10], 0.1).decades, 0.0);
        // Brute force over all windows agrees on a noisy curve.
        let tau: Vec<f64> = (0..300).map(|i| 10f64.powf(i as f64 * 0.02)).collect();
        let c: Vec<f64> = (0..300).map(|i| 1.0 + 0.3 * ((i as f64) * 0.05).sin() + 0.01 * ((i * 7919 % 13) as f64)).collect();
        let p = plateau(&tau, &c, 0.1);
        let mut best = 0.0f64;
        for a in 0..300 {
            for b in a + 1..300 {
                let w = &c[a..=b];
                let (lo, hi) = w.iter().fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
                let mean = w.iter().sum::<f64>() / w.len() as f64;
                if hi - lo <= 0.1 * mean {
                    best = best.max((tau[b] / tau[a]).log10());
                }
            }
        }
        assert!((p.decades - best).abs() < 1e-9, "{} vs {best}", p.decades);
    }
}
