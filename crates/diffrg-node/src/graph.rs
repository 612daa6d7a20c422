//! `NativeGraph`: a CSR graph owned by Rust, shared with async jobs through an `Arc`.

use crate::job::{guard, to_napi};
use crate::set;
use diffrg_core::graph::{generators, EdgeListOptions, Graph};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

#[napi(object)]
#[derive(Default)]
pub struct GraphBuildOptions {
    /// Edges are directed. @default false
    pub directed: Option<bool>,
    /// Treat directed edges as undirected (weights of both directions summed). @default false
    pub symmetrize: Option<bool>,
    /// Ignore weights (all 1). @default false
    pub unweighted: Option<bool>,
    /// Drop self-loops. @default true
    pub drop_self_loops: Option<bool>,
}

#[napi(object)]
pub struct CsrArrays {
    pub indptr: Vec<f64>,
    pub indices: Vec<u32>,
    pub weights: Vec<f64>,
}

#[napi]
pub struct NativeGraph {
    pub(crate) inner: Arc<Graph>,
}

impl NativeGraph {
    pub(crate) fn wrap(g: Graph) -> Self {
        NativeGraph { inner: Arc::new(g) }
    }
}

#[napi]
impl NativeGraph {
    /// Builds a graph of `n` nodes from parallel arrays of edge endpoints and optional weights.
    #[napi(factory)]
    pub fn from_edges(
        n: u32,
        sources: Uint32Array,
        targets: Uint32Array,
        weights: Option<Float64Array>,
        options: Option<GraphBuildOptions>,
    ) -> Result<NativeGraph> {
        let o = options.unwrap_or_default();
        let mut opts = EdgeListOptions::default();
        set(&mut opts.directed, o.directed);
        set(&mut opts.symmetrize, o.symmetrize);
        set(&mut opts.unweighted, o.unweighted);
        set(&mut opts.drop_self_loops, o.drop_self_loops);
        Graph::from_edge_arrays(n as usize, &sources, &targets, weights.as_deref(), &opts).map(NativeGraph::wrap).map_err(to_napi)
    }

    /// Builds a graph from CSR arrays (row i lists the out-neighbours of i; columns sorted and
    /// unique per row; an undirected graph must be symmetric).
    #[napi(factory)]
    pub fn from_csr(
        n: u32,
        indptr: Float64Array,
        indices: Uint32Array,
        weights: Option<Float64Array>,
        directed: Option<bool>,
    ) -> Result<NativeGraph> {
        let (indices, weights) = (indices.to_vec(), weights.map(|w| w.to_vec()));
        let directed = directed.unwrap_or(EdgeListOptions::default().directed);
        guard(move || Graph::from_csr_numbers(n as usize, &indptr, indices, weights, directed).map(NativeGraph::wrap))
    }

    /// Uniform random labelled tree (Pruefer code).
    #[napi(factory)]
    pub fn uniform_tree(n: u32, seed: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::uniform_tree(n as usize, seed as u64))))
    }

    #[napi(factory)]
    pub fn ring(n: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::ring(n as usize))))
    }
    #[napi(factory)]
    pub fn torus(side: u32, dims: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::torus(side as usize, dims as usize))))
    }
    #[napi(factory)]
    pub fn barabasi_albert(n: u32, m: u32, seed: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::barabasi_albert(n as usize, m as usize, seed as u64))))
    }
    #[napi(factory)]
    pub fn erdos_renyi(n: u32, mean_degree: f64, seed: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::erdos_renyi(n as usize, mean_degree, seed as u64))))
    }
    #[napi(factory)]
    pub fn random_tree(n: u32, seed: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::random_tree(n as usize, seed as u64))))
    }
    #[napi(factory)]
    pub fn pseudofractal(steps: u32) -> Result<NativeGraph> {
        guard(|| Ok(NativeGraph::wrap(generators::pseudofractal(steps as usize))))
    }

    #[napi(getter)]
    pub fn n(&self) -> u32 {
        self.inner.n() as u32
    }
    #[napi(getter)]
    pub fn num_edges(&self) -> f64 {
        self.inner.num_edges() as f64
    }
    #[napi(getter)]
    pub fn directed(&self) -> bool {
        self.inner.is_directed()
    }
    /// Weakly connected component label of each node.
    #[napi]
    pub fn components(&self) -> Uint32Array {
        Uint32Array::new(self.inner.components().into_iter().map(|c| c as u32).collect())
    }
    /// Original indices of the nodes of the largest weakly connected component.
    #[napi]
    pub fn largest_component_nodes(&self) -> Uint32Array {
        Uint32Array::new(self.inner.largest_component().1.into_iter().map(|c| c as u32).collect())
    }
    /// The subgraph induced by `nodes` (node k of the result is `nodes[k]`).
    #[napi]
    pub fn induced(&self, nodes: Uint32Array) -> Result<NativeGraph> {
        self.inner.subgraph(&nodes).map(NativeGraph::wrap).map_err(to_napi)
    }
    /// The CSR arrays (indptr as doubles: it may exceed 2^32).
    #[napi]
    pub fn to_csr(&self) -> CsrArrays {
        CsrArrays {
            indptr: self.inner.indptr().iter().map(|&v| v as f64).collect(),
            indices: self.inner.indices().to_vec(),
            weights: self.inner.weights().to_vec(),
        }
    }
}
