//! Neural activity: spike trains, rasters and binning.
//!
//! - [`spikes`]: [`SpikeTrains`], ragged sorted spike times with neuron ids and validation.
//! - [`raster`]: [`SparseRaster`] (CSR spike counts), [`DenseRaster`] (float traces), binning
//!   on a [`BinGrid`] and the streaming [`BlockBinner`].

pub mod raster;
pub mod spikes;

pub use raster::{bin_events, BinBlock, BinGrid, BinOptions, BlockBinner, DenseRaster, EventBins, Reduce, SparseRaster};
pub use spikes::{train_stats, SpikeTrains, TrainStats};
