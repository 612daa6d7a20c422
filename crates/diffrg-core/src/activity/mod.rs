//! Neural activity: spike trains, rasters and binning.
