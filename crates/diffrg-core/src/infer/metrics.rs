//! Ranking metrics for recovered edges against ground truth: AUROC and AUPR.
//!
//! - AUROC = P(score of a random true edge > score of a random non-edge) + ½ P(tie)
//!   (Mann-Whitney U / (n₊ n₋), computed with mid-ranks in O(m log m)).
//! - AUPR is the average precision `Σ_k (R_k - R_{k-1}) P_k` over the distinct score
//!   thresholds `k` (descending), tied scores entering together (so the value does not depend
//!   on the order of ties). A random ranking scores about the positive fraction.

use crate::error::{Error, Result};

fn check(scores: &[f64], labels: &[bool]) -> Result<(usize, usize)> {
    if scores.len() != labels.len() {
        return Err(Error::invalid_input(format!("scores has {} entries but labels has {}", scores.len(), labels.len())));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(Error::not_finite(format!("scores[{i}] is NaN")));
    }
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(Error::invalid_input(format!("labels need both classes (got {pos} positives, {neg} negatives)")));
    }
    Ok((pos, neg))
}

fn order_desc(scores: &[f64]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..scores.len()).collect();
    o.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    o
}

/// Area under the ROC curve (ties count one half).
pub fn auroc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let (pos, neg) = check(scores, labels)?;
    let o = order_desc(scores);
    // Walk groups of tied scores from the top: positives above a negative count 1, ties 1/2.
    let (mut u, mut pos_above) = (0.0f64, 0usize);
    let mut k = 0;
    while k < o.len() {
        let mut e = k;
        let (mut gp, mut gn) = (0usize, 0usize);
        while e < o.len() && scores[o[e]] == scores[o[k]] {
            if labels[o[e]] {
                gp += 1;
            } else {
                gn += 1;
            }
            e += 1;
        }
        u += gn as f64 * (pos_above as f64 + 0.5 * gp as f64);
        pos_above += gp;
        k = e;
    }
    Ok(u / (pos as f64 * neg as f64))
}

/// Area under the precision-recall curve (average precision, ties grouped).
pub fn aupr(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let (pos, _) = check(scores, labels)?;
    let o = order_desc(scores);
    let (mut tp, mut seen, mut ap) = (0usize, 0usize, 0.0f64);
    let mut k = 0;
    while k < o.len() {
        let mut e = k;
        let mut gp = 0;
        while e < o.len() && scores[o[e]] == scores[o[k]] {
            gp += labels[o[e]] as usize;
            e += 1;
        }
        tp += gp;
        seen += e - k;
        ap += (gp as f64 / pos as f64) * (tp as f64 / seen as f64);
        k = e;
    }
    Ok(ap)
}

/// Matthews correlation coefficient of binary detections against labels (0 when a margin of
/// the confusion table is empty).
///
/// Errors: `ERR_INVALID_INPUT` when the lengths differ.
pub fn mcc(detected: &[bool], labels: &[bool]) -> Result<f64> {
    if detected.len() != labels.len() {
        return Err(Error::invalid_input(format!("detected has {} entries but labels has {}", detected.len(), labels.len())));
    }
    let [mut tp, mut fp, mut fne, mut tn] = [0.0f64; 4];
    for (&d, &l) in detected.iter().zip(labels) {
        match (d, l) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fne += 1.0,
            (false, false) => tn += 1.0,
        }
    }
    let den = ((tp + fp) * (tp + fne) * (tn + fp) * (tn + fne)).sqrt();
    Ok(if den > 0.0 { (tp * tn - fp * fne) / den } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn auroc_matches_pair_counting() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..20 {
            let m = 40;
            let s: Vec<f64> = (0..m).map(|_| (rng.random::<f64>() * 6.0).floor()).collect(); // many ties
            let mut l: Vec<bool> = (0..m).map(|_| rng.random::<f64>() < 0.3).collect();
            l[0] = true;
            l[1] = false;
            let mut num = 0.0;
            let mut den = 0.0;
            for i in 0..m {
                for j in 0..m {
                    if l[i] && !l[j] {
                        den += 1.0;
                        num += if s[i] > s[j] {
                            1.0
                        } else if s[i] == s[j] {
                            0.5
                        } else {
                            0.0
                        };
                    }
                }
            }
            assert!((auroc(&s, &l).unwrap() - num / den).abs() < 1e-12);
        }
    }

    #[test]
    fn aupr_known_values() {
        // Perfect ranking.
        assert_eq!(aupr(&[3.0, 2.0, 1.0], &[true, true, false]).unwrap(), 1.0);
        // Ranking T F T: AP = (1/2)(1/1) + (1/2)(2/3) = 5/6.
        assert!((aupr(&[3.0, 2.0, 1.0], &[true, false, true]).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        // All tied: precision = positive fraction.
        assert!((aupr(&[1.0; 4], &[true, false, false, false]).unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(auroc(&[1.0; 4], &[true, false, false, false]).unwrap(), 0.5);
        assert_eq!(auroc(&[0.0, 1.0], &[true, false]).unwrap(), 0.0);
    }

    #[test]
    fn bad_inputs() {
        assert!(auroc(&[1.0], &[true]).is_err());
        assert!(aupr(&[1.0, 2.0], &[true]).is_err());
        assert_eq!(auroc(&[f64::NAN, 1.0], &[true, false]).unwrap_err().code, crate::ErrorCode::NotFinite);
    }

    #[test]
    fn mcc_of_small_tables() {
        // tp 2, fp 1, fn 1, tn 4: (8 - 1) / sqrt(3 * 3 * 5 * 5) = 7 / 15
        let d = [true, true, true, false, false, false, false, false];
        let l = [true, true, false, true, false, false, false, false];
        assert!((mcc(&d, &l).unwrap() - 7.0 / 15.0).abs() < 1e-15);
        assert_eq!(mcc(&l, &l).unwrap(), 1.0);
        assert_eq!(mcc(&[false; 3], &[true, false, false]).unwrap(), 0.0);
        assert!(mcc(&[true], &[]).is_err());
    }
}
