//! Network simulators providing ground truth (clustered leaky integrate-and-fire).
