//! Tensor trains (matrix product states) over discrete spike patterns.
