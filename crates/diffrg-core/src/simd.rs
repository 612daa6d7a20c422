//! Run-time choice of the vector instruction set for memory-bound row kernels.
//!
//! Hot kernels are written once as `#[inline(always)]` functions over `[f64; B]` rows and
//! wrapped by one `#[target_feature]` function per level; [`Level::detect`] picks the widest
//! level the CPU has, so the prebuilt binary stays portable (baseline x86-64) while AVX2 and
//! AVX-512 machines get wide vectors. Wrapped kernels must do every operation per lane and in
//! the same order at every level, without fused multiply-add (Rust never contracts `a * b + c`
//! on its own), so all levels give bit-identical results.
//!
//! Closures do not inherit `#[target_feature]`: a closure called inside a wrapped kernel is
//! compiled for the baseline unless inlined (measured: 24 CPU-s instead of 11.6 on the SLQ
//! kernel). Kernels are plain functions and loops.
//!
//! `DIFFRG_NO_SIMD=1` forces the baseline (for measurements).

/// Instruction-set level of the wrapped kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Level {
    /// The widest level this CPU supports (baseline when `DIFFRG_NO_SIMD` is set to a value
    /// other than empty or `0`).
    pub fn detect() -> Level {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::env::var_os("DIFFRG_NO_SIMD").is_some_and(|v| !v.is_empty() && v != "0") {
                if is_x86_feature_detected!("avx512f") {
                    return Level::Avx512;
                }
                if is_x86_feature_detected!("avx2") {
                    return Level::Avx2;
                }
            }
        }
        Level::Baseline
    }

    /// Every level this CPU supports, baseline first (for tests).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Level> {
        let mut v = vec![Level::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") {
                v.push(Level::Avx2);
            }
            if is_x86_feature_detected!("avx512f") {
                v.push(Level::Avx512);
            }
        }
        v
    }
}

/// Defines `$name(level, args...)` that calls the `#[inline(always)]` generic kernel `$body`
/// compiled for the given [`Level`] (one `#[target_feature]` wrapper per level).
macro_rules! dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident<const B: usize>($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $body:ident;) => {
        $(#[$m])*
        $vis fn $name<const B: usize>(level: $crate::simd::Level, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            unsafe fn avx2<const B: usize>($($arg: $ty),*) -> $ret {
                $body::<B>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            unsafe fn avx512<const B: usize>($($arg: $ty),*) -> $ret {
                $body::<B>($($arg),*)
            }
            match level {
                $crate::simd::Level::Baseline => $body::<B>($($arg),*),
                // SAFETY: the level was detected on this CPU (Level::detect / available).
                #[cfg(target_arch = "x86_64")]
                $crate::simd::Level::Avx2 => unsafe { avx2::<B>($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                $crate::simd::Level::Avx512 => unsafe { avx512::<B>($($arg),*) },
            }
        }
    };
}
pub(crate) use dispatch;
