/**
 * The core's defaults, one typed table built by the binding from the Rust `Default` impls
 * (`crates/diffrg-node/src/defaults.rs`). The CLI's `.default(...)` values and the facade's
 * fallbacks read it, so a default is written once, in the core.
 */
import native = require('./native');

export type CoreDefaults = ReturnType<typeof native.defaults>;

/** The core's defaults (read once at load). */
export const DEFAULTS: Readonly<CoreDefaults> = Object.freeze(native.defaults());
