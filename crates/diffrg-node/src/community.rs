//! Communities: Leiden, community-based orderings, partition metrics, planted-partition graphs.

use crate::graph::NativeGraph;
use crate::job::{guard, CancelToken, Job};
use crate::set;
use diffrg_core::community::{self, planted, LeidenOptions, OrderingOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct NativeLeidenOptions {
    /// Modularity resolution gamma >= 0. @default 1
    pub resolution: Option<f64>,
    /// Refinement randomness theta > 0. @default 0.01
    pub theta: Option<f64>,
    /// Leiden iterations; 0 = until Q stops increasing. @default 0
    pub max_iterations: Option<u32>,
    /// Seed. @default 42
    pub seed: Option<u32>,
    /// Worker threads (Leiden itself is sequential). @default DIFFRG_THREADS or all cores
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct NativeLeidenResult {
    pub labels: Vec<u32>,
    pub communities: u32,
    pub modularity: f64,
    pub iterations: u32,
    pub converged: bool,
}

/// Leiden communities (directed graphs: Leicht-Newman directed modularity).
#[napi(ts_return_type = "Promise<NativeLeidenResult>")]
pub fn leiden(
    graph: &NativeGraph,
    options: Option<NativeLeidenOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<NativeLeidenResult>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    Job::new(o.threads, token, move |exec| {
        let d = LeidenOptions::default();
        let opts = LeidenOptions {
            resolution: o.resolution.unwrap_or(d.resolution),
            theta: o.theta.unwrap_or(d.theta),
            max_iterations: o.max_iterations.map_or(d.max_iterations, |v| v as usize),
            seed: o.seed.map_or(d.seed, u64::from),
        };
        let r = community::leiden(&g, &opts, exec)?;
        Ok(NativeLeidenResult {
            labels: r.labels.iter().map(|&l| l as u32).collect(),
            communities: r.communities as u32,
            modularity: r.modularity,
            iterations: r.iterations as u32,
            converged: r.converged,
        })
    })
}

#[napi(object)]
#[derive(Default)]
pub struct NativeOrderingOptions {
    /// Dense eigensolver up to this many nodes per solve, Lanczos beyond. @default 1500
    pub dense_max: Option<u32>,
    /// Only the linear Fiedler order (no circular candidate). @default false
    pub linear_only: Option<bool>,
    /// Inside communities, order by the potential anchored to neighbouring blocks. @default false
    pub anchored: Option<bool>,
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct NativeOrdering {
    pub order: Vec<u32>,
    pub position: Vec<u32>,
    pub community_order: Vec<u32>,
    pub converged: bool,
}

/// Community-based spectral node ordering.
#[napi(ts_return_type = "Promise<NativeOrdering>")]
pub fn community_ordering(
    graph: &NativeGraph,
    labels: Uint32Array,
    options: Option<NativeOrderingOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<NativeOrdering>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    Job::new(o.threads, token, move |exec| {
        let mut opts = OrderingOptions::default();
        set(&mut opts.linear_only, o.linear_only);
        set(&mut opts.anchored, o.anchored);
        set(&mut opts.fiedler.dense_max, o.dense_max.map(|d| d as usize));
        let r = community::community_ordering(&g, &labels, &opts, exec)?;
        let u = |v: Vec<usize>| v.into_iter().map(|x| x as u32).collect();
        Ok(NativeOrdering { order: u(r.order), position: u(r.position), community_order: u(r.community_order), converged: r.converged })
    })
}

/// Generalized modularity of `labels` (directed graphs: Leicht-Newman).
#[napi]
pub fn modularity(graph: &NativeGraph, labels: Uint32Array, resolution: Option<f64>) -> Result<f64> {
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    guard(|| community::modularity(&graph.inner, &labels, resolution.unwrap_or(LeidenOptions::default().resolution)))
}

/// Adjusted Rand index of two labelings.
#[napi]
pub fn adjusted_rand_index(a: Uint32Array, b: Uint32Array) -> Result<f64> {
    let (a, b) = (to_usize(&a), to_usize(&b));
    guard(|| community::adjusted_rand_index(&a, &b))
}

/// Normalized mutual information (arithmetic normalization) of two labelings.
#[napi]
pub fn normalized_mutual_information(a: Uint32Array, b: Uint32Array) -> Result<f64> {
    let (a, b) = (to_usize(&a), to_usize(&b));
    guard(|| community::normalized_mutual_information(&a, &b))
}

#[napi(object)]
pub struct SeparatedCommunities {
    pub labels: Uint32Array,
    pub communities: u32,
}

/// The labels with the flagged nodes (non-zero in `separate`) in one community of their own,
/// renumbered by decreasing size.
#[napi]
pub fn separate_community(labels: Uint32Array, separate: Uint8Array) -> Result<SeparatedCommunities> {
    let labels = to_usize(&labels);
    let flags: Vec<bool> = separate.iter().map(|&b| b != 0).collect();
    let (l, k) = guard(|| community::separate_community(&labels, &flags))?;
    Ok(SeparatedCommunities { labels: l.iter().map(|&x| x as u32).collect::<Vec<u32>>().into(), communities: k as u32 })
}

/// Ring of `cliques` cliques of `size` nodes (node v is in clique floor(v / size)).
#[napi]
pub fn ring_of_cliques(cliques: u32, size: u32) -> Result<NativeGraph> {
    guard(|| Ok(NativeGraph::wrap(planted::ring_of_cliques(cliques as usize, size as usize)?.0)))
}

fn sbm_options(directed: Option<bool>, seed: Option<u32>) -> planted::SbmOptions {
    let d = planted::SbmOptions::default();
    planted::SbmOptions { directed: directed.unwrap_or(d.directed), seed: seed.map_or(d.seed, u64::from) }
}

/// Stochastic block model with the given block sizes (nodes numbered block by block).
#[napi]
pub fn stochastic_block_model(sizes: Vec<u32>, p_in: f64, p_out: f64, directed: Option<bool>, seed: Option<u32>) -> Result<NativeGraph> {
    let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    guard(|| {
        let (g, _) = planted::stochastic_block_model(&sizes, p_in, p_out, &sbm_options(directed, seed))?;
        Ok(NativeGraph::wrap(g))
    })
}

fn to_usize(a: &Uint32Array) -> Vec<usize> {
    a.iter().map(|&l| l as usize).collect()
}

#[napi(object)]
pub struct PairPurityJs {
    /// Among the pairs of items in one block, the fraction that share a label (NaN without pairs).
    pub purity: f64,
    /// The same fraction over all pairs of items.
    pub chance: f64,
    /// Pairs of items in one block.
    pub pairs: f64,
}

/// Pair purity of a partition against reference labels (`community::metrics::pair_purity`).
#[napi]
pub fn pair_purity(block: Uint32Array, label: Uint32Array) -> Result<PairPurityJs> {
    let (a, b) = (to_usize(&block), to_usize(&label));
    guard(|| {
        let p = community::metrics::pair_purity(&a, &b)?;
        Ok(PairPurityJs { purity: p.purity, chance: p.chance, pairs: p.pairs as f64 })
    })
}

#[napi(object)]
#[derive(Default)]
pub struct NativeProfileOptions {
    /// Worker threads. @default DIFFRG_THREADS or all cores
    pub threads: Option<u32>,
}

/// Profile augmentation (core `community::profile`): the undirected graph `A/<A> + S/<S>`,
/// `S` the cosine similarity of the nodes' rows, as CSR arrays; `exclude` (one byte per node,
/// or empty) leaves nodes out of both terms.
#[napi(ts_return_type = "Promise<CsrArrays>")]
pub fn profile_augment(
    graph: &NativeGraph,
    exclude: Uint8Array,
    options: Option<NativeProfileOptions>,
    token: Option<&CancelToken>,
) -> AsyncTask<Job<crate::graph::CsrArrays>> {
    let o = options.unwrap_or_default();
    let g = graph.inner.clone();
    let flags: Vec<bool> = exclude.iter().map(|&b| b != 0).collect();
    Job::new(o.threads, token, move |exec| {
        let b = community::profile_augment(&g, &flags, exec)?;
        Ok(crate::graph::CsrArrays {
            indptr: b.indptr().iter().map(|&v| v as f64).collect(),
            indices: b.indices().to_vec(),
            weights: b.weights().to_vec(),
        })
    })
}
