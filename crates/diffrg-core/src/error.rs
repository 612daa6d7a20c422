//! Typed errors with stable codes.
//!
//! Every expected failure (bad input, non-finite data, a problem too large for memory, an
//! aborted computation, an iteration that did not converge) is an [`Error`] carrying an
//! [`ErrorCode`] whose string form (`ERR_*`) is part of diffrg's public interface: the Node
//! binding forwards it unchanged and the TypeScript layer maps it to an error subclass.

use std::fmt;

/// Stable machine-readable error category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Arguments violate the documented contract (shapes, ranges, empty inputs).
    InvalidInput,
    /// A file or text could not be parsed.
    Parse,
    /// NaN or infinite values where finite numbers are required.
    NotFinite,
    /// The problem would need more memory than is available or allowed.
    TooLarge,
    /// The computation was cancelled through its [`crate::exec::Cancel`] token.
    Aborted,
    /// An iterative method stopped before reaching its tolerance.
    NoConvergence,
    /// A bug: an internal invariant failed (a caught panic maps here).
    Internal,
}

impl ErrorCode {
    /// The stable string code, e.g. `"ERR_INVALID_INPUT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "ERR_INVALID_INPUT",
            ErrorCode::Parse => "ERR_PARSE",
            ErrorCode::NotFinite => "ERR_NOT_FINITE",
            ErrorCode::TooLarge => "ERR_TOO_LARGE",
            ErrorCode::Aborted => "ERR_ABORTED",
            ErrorCode::NoConvergence => "ERR_NO_CONVERGENCE",
            ErrorCode::Internal => "ERR_INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An expected failure: a stable [`ErrorCode`] plus a message that says what was wrong and
/// where (argument name, field, file and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Parse, message)
    }
    pub fn not_finite(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFinite, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TooLarge, message)
    }
    pub fn aborted() -> Self {
        Self::new(ErrorCode::Aborted, "the operation was aborted")
    }
    pub fn no_convergence(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NoConvergence, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Fails with [`ErrorCode::NotFinite`] naming `field` and the first bad index.
pub fn ensure_finite(field: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::not_finite(format!("{field}[{i}] is {} (finite values required)", values[i]))),
    }
}

/// A count limit given as a number (a JavaScript number may exceed 2^32): `x >= 0`, the fraction
/// dropped, values above 1e30 (and +inf) capped at 1e30. Fails with [`ErrorCode::InvalidInput`]
/// naming `field` for a negative value or NaN.
pub fn count_limit(field: &str, x: f64) -> Result<u128> {
    if !(x >= 0.0) {
        return Err(Error::invalid_input(format!("{field} must be >= 0 (got {x})")));
    }
    Ok(x.min(1e30) as u128)
}

/// Fails with [`ErrorCode::TooLarge`] when a dense allocation of `elements` f64 values would
/// exceed `limit_bytes`; `what` names the object and `advice` says what to do instead.
pub fn ensure_fits(what: &str, elements: u128, limit_bytes: u128, advice: &str) -> Result<()> {
    let bytes = elements.saturating_mul(8);
    if bytes > limit_bytes {
        return Err(Error::too_large(format!(
            "{what} needs {:.1} GiB but the limit is {:.1} GiB; {advice}",
            bytes as f64 / (1u128 << 30) as f64,
            limit_bytes as f64 / (1u128 << 30) as f64
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_limit_truncates_caps_and_names_the_field() {
        assert_eq!(count_limit("exactLimit", 0.0).unwrap(), 0);
        assert_eq!(count_limit("exactLimit", 1048576.9).unwrap(), 1 << 20);
        assert_eq!(count_limit("exactLimit", f64::INFINITY).unwrap(), 1e30 as u128);
        for bad in [-1.0, f64::NAN, f64::NEG_INFINITY] {
            let e = count_limit("exactLimit", bad).unwrap_err();
            assert!(e.code == ErrorCode::InvalidInput && e.message.starts_with("exactLimit must be >= 0"), "{e:?}");
        }
    }
}
