//! Site orders in which every supernode of a nested RG hierarchy is a contiguous block.
//!
//! Input: composed assignments `a_1, .., a_S` of an RG flow (`a_t[i]` = scale-t supernode of
//! original node i; scale 0 is the identity). They must be nested: two nodes in the same
//! scale-(t-1) supernode are in the same scale-t supernode, so every scale-(t-1) supernode x
//! has one parent `pi_t(x)`.
//!
//! The order is the leaf order of the hierarchy, built top-down: the scale-S supernodes are
//! placed in the spectral (Fiedler / circular) order of the graph contracted to them; then, for
//! t = S..1, the children of every scale-t supernode are placed in the order that
//! [`crate::community::community_ordering`] gives them inside their parent on the graph
//! contracted to scale t-1 (communities = parents; each community ordered by the spectral
//! order of its induced subgraph), parents in the order already fixed at scale t; each run of
//! children is then reversed when that couples it more strongly to the previous run (the first
//! two runs are oriented jointly). At every scale the variables are therefore the
//! supernodes in that order, and each step's blocks are contiguous runs of the previous
//! scale's variables.

use crate::community::{community_ordering, OrderingOptions};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::graph::Graph;
use crate::rg::contract::contract;

/// The leaf order and, per scale, its variables and blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    /// `order[p]` = original node at site p (scale 0).
    pub order: Vec<usize>,
    /// `variables[t][q]` = scale-t supernode label (as in `a_t`) of the q-th variable at scale t.
    /// `variables[0]` equals `order`.
    pub variables: Vec<Vec<usize>>,
    /// `blocks[t - 1]`: the half-open ranges of scale-(t-1) variable positions that form the
    /// scale-t variables, in order (t = 1..=S).
    pub blocks: Vec<Vec<(usize, usize)>>,
    /// `members[t][q]` = original nodes of the q-th scale-t variable, in site order.
    pub members: Vec<Vec<Vec<usize>>>,
}

fn label_count(a: &[usize], field: &str) -> Result<usize> {
    let m = a.iter().max().map_or(0, |&x| x + 1);
    let mut seen = vec![false; m];
    for &x in a {
        seen[x] = true;
    }
    if let Some(k) = seen.iter().position(|&s| !s) {
        return Err(Error::invalid_input(format!("{field} skips supernode label {k} (labels must be 0..count)")));
    }
    Ok(m)
}

/// Parent map of scale t-1 supernodes given `prev` (scale t-1) and `next` (scale t)
/// assignments; errors when the assignments are not nested.
fn parents(prev: &[usize], m_prev: usize, next: &[usize], t: usize) -> Result<Vec<usize>> {
    let mut par = vec![usize::MAX; m_prev];
    for (i, (&x, &y)) in prev.iter().zip(next).enumerate() {
        if par[x] == usize::MAX {
            par[x] = y;
        } else if par[x] != y {
            return Err(Error::invalid_input(format!(
                "assignments are not nested: node {i} is in scale-{} supernode {x} whose other members are in scale-{t} supernode {}, but node {i} is in {y}",
                t - 1,
                par[x]
            )));
        }
    }
    Ok(par)
}

/// Orients consecutive runs greedily so that the coupling across run boundaries is large:
/// the first two runs jointly (four choices), then each next run given the previous one.
fn orient(runs: &mut [Vec<usize>], g: &Graph) {
    if runs.len() < 2 {
        return;
    }
    let w = |a: usize, b: usize| g.weight(a, b);
    let (r0, r1) = (&runs[0], &runs[1]);
    let (f0, l0, f1, l1) = (r0[0], r0[r0.len() - 1], r1[0], r1[r1.len() - 1]);
    let cands = [(false, false, w(l0, f1)), (true, false, w(f0, f1)), (false, true, w(l0, l1)), (true, true, w(f0, l1))];
    let best = cands.iter().fold(cands[0], |b, &c| if c.2 > b.2 { c } else { b });
    if best.0 {
        runs[0].reverse();
    }
    if best.1 {
        runs[1].reverse();
    }
    for i in 2..runs.len() {
        let prev = *runs[i - 1].last().expect("runs are non-empty");
        let r = &runs[i];
        if w(prev, r[r.len() - 1]) > w(prev, r[0]) {
            runs[i].reverse();
        }
    }
}

/// Builds the hierarchy's leaf order (see the module docs). `assignments[t - 1]` is `a_t`.
///
/// Errors: `ERR_INVALID_INPUT` for wrong lengths, skipped labels or non-nested assignments;
/// `ERR_ABORTED`.
pub fn leaf_order(g: &Graph, assignments: &[Vec<usize>], exec: &Exec) -> Result<Hierarchy> {
    let n = g.n();
    if n == 0 {
        return Err(Error::invalid_input("graph has no nodes"));
    }
    let mut levels: Vec<Vec<usize>> = vec![(0..n).collect()];
    for (t, a) in assignments.iter().enumerate() {
        if a.len() != n {
            return Err(Error::invalid_input(format!("assignments[{t}] has {} entries for a graph of {n} nodes", a.len())));
        }
        levels.push(a.clone());
    }
    let s = levels.len() - 1;
    let counts: Vec<usize> =
        levels.iter().enumerate().map(|(t, a)| label_count(a, &format!("assignments[{}]", t.max(1) - 1))).collect::<Result<_>>()?;
    let mut pars = Vec::with_capacity(s);
    for t in 1..=s {
        pars.push(parents(&levels[t - 1], counts[t - 1], &levels[t], t)?);
    }
    let graphs: Vec<Graph> = (0..=s).map(|t| if t == 0 { Ok(g.clone()) } else { contract(g, &levels[t], false) }).collect::<Result<_>>()?;
    let opts = OrderingOptions::default();
    // top scale: spectral order of the contracted graph (one community)
    let top = community_ordering(&graphs[s], &vec![0; counts[s]], &opts, exec)?.order;
    let mut variables: Vec<Vec<usize>> = vec![Vec::new(); s + 1];
    variables[s] = top;
    let mut blocks: Vec<Vec<(usize, usize)>> = vec![Vec::new(); s];
    for t in (1..=s).rev() {
        exec.check()?;
        let par = &pars[t - 1];
        let within = community_ordering(&graphs[t - 1], par, &opts, exec)?;
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); counts[t]];
        for &x in &within.order {
            children[par[x]].push(x);
        }
        let sym = graphs[t - 1].symmetrized();
        let mut runs: Vec<Vec<usize>> = variables[t].iter().map(|&p| std::mem::take(&mut children[p])).collect();
        orient(&mut runs, &sym);
        let mut ord = Vec::with_capacity(counts[t - 1]);
        let mut bl = Vec::with_capacity(counts[t]);
        for run in runs {
            let start = ord.len();
            ord.extend(run);
            bl.push((start, ord.len()));
        }
        variables[t - 1] = ord;
        blocks[t - 1] = bl;
    }
    let order = variables[0].clone();
    let members = (0..=s)
        .map(|t| {
            let mut m: Vec<Vec<usize>> = vec![Vec::new(); counts[t]];
            for &i in &order {
                m[levels[t][i]].push(i);
            }
            variables[t].iter().map(|&x| std::mem::take(&mut m[x])).collect()
        })
        .collect();
    Ok(Hierarchy { order, variables, blocks, members })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::generators::ring;

    #[test]
    fn every_supernode_is_contiguous() {
        let g = ring(12);
        // scale 1: pairs of non-adjacent labels scattered; scale 2: groups of 2 pairs
        let a1: Vec<usize> = (0..12).map(|i| (i / 2 + 3) % 6).collect();
        let a2: Vec<usize> = a1.iter().map(|&x| x / 2).collect();
        let a3 = vec![0usize; 12];
        let h = leaf_order(&g, &[a1.clone(), a2.clone(), a3], &Exec::sequential()).unwrap();
        let mut sorted = h.order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..12).collect::<Vec<_>>());
        for (t, a) in [a1, a2].iter().enumerate() {
            // every label occupies one contiguous run of positions
            let labels: Vec<usize> = h.order.iter().map(|&i| a[i]).collect();
            let mut seen = std::collections::HashSet::new();
            for p in 0..12 {
                if p == 0 || labels[p] != labels[p - 1] {
                    assert!(seen.insert(labels[p]), "scale {} label {} split: {labels:?}", t + 1, labels[p]);
                }
            }
            assert_eq!(h.variables[t + 1].len(), h.blocks[t].len());
            assert_eq!(h.members[t + 1].iter().map(|m| m.len()).sum::<usize>(), 12);
        }
        assert_eq!(h.blocks[0].len(), 6);
        assert!(h.blocks[0].iter().all(|&(a, b)| b - a == 2));
        // spectral order on a ring keeps neighbours adjacent: consecutive pairs are linked
        let linked = h
            .order
            .windows(2)
            .filter(|w| (w[0] as i64 - w[1] as i64).rem_euclid(12) == 1 || (w[1] as i64 - w[0] as i64).rem_euclid(12) == 1)
            .count();
        assert_eq!(linked, 11);
    }

    #[test]
    fn non_nested_assignments_are_rejected() {
        let g = ring(4);
        let e = leaf_order(&g, &[vec![0, 0, 1, 1], vec![0, 1, 1, 1]], &Exec::sequential()).unwrap_err();
        assert!(e.message.contains("not nested"), "{}", e.message);
        assert!(leaf_order(&g, &[vec![0, 0, 2, 2]], &Exec::sequential()).unwrap_err().message.contains("skips"));
        assert!(leaf_order(&g, &[vec![0, 0, 1]], &Exec::sequential()).is_err());
    }
}
