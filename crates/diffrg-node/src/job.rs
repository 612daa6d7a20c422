//! Shared async machinery: every heavy call runs as a napi `AsyncTask` on the libuv pool, inside
//! a rayon pool of the requested size, with cooperative cancellation and panic capture.
//!
//! Errors cross the boundary as `"<ERR_CODE>|<message>"`; the TypeScript layer (`ts/errors.ts`)
//! turns them into typed error classes.

use diffrg_core::exec::{resolve_threads, Cancel, Exec, Progress};
use diffrg_core::{Error, ErrorCode};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A cancellation flag and a progress value shared between JavaScript and running Rust work.
/// The TypeScript facade creates one per call, calls `cancel()` when the caller's AbortSignal
/// fires and polls `progress` for its `onProgress` callback.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    inner: Cancel,
    progress: Progress,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }
    /// Requests cancellation; running work stops at its next check and rejects with ERR_ABORTED.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
    /// Completed fraction in [0, 1] reported so far by the running kernel (monotone).
    #[napi(getter)]
    pub fn progress(&self) -> f64 {
        self.progress.get()
    }
}

/// Execution context for a call: threads resolved from the option, `DIFFRG_THREADS`,
/// `SLURM_CPUS_PER_TASK` or the available parallelism; cancellation and progress from the token.
pub fn exec(threads: Option<u32>, token: Option<&CancelToken>) -> Exec {
    Exec {
        threads: resolve_threads(threads.map(|t| t as usize)),
        cancel: token.map(|t| t.inner.clone()).unwrap_or_default(),
        progress: token.map(|t| t.progress.clone()).unwrap_or_default(),
    }
}

pub fn to_napi(e: Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{}|{}", e.code.as_str(), e.message))
}

/// Runs `f`, turning a panic into an `ERR_INTERNAL` error instead of aborting the process.
pub fn guard<T>(f: impl FnOnce() -> diffrg_core::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(to_napi),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".into());
            Err(to_napi(Error::new(ErrorCode::Internal, format!("internal error (Rust panic): {msg}"))))
        }
    }
}

type Work<T> = Box<dyn FnOnce(&Exec) -> diffrg_core::Result<T> + Send>;

/// One heavy call. `compute` runs off the JS thread inside the call's rayon pool.
pub struct Job<T> {
    work: Option<Work<T>>,
    exec: Exec,
}

impl<T> Job<T> {
    pub fn new(
        threads: Option<u32>,
        token: Option<&CancelToken>,
        work: impl FnOnce(&Exec) -> diffrg_core::Result<T> + Send + 'static,
    ) -> AsyncTask<Job<T>>
    where
        Job<T>: Task,
    {
        AsyncTask::new(Job { work: Some(Box::new(work)), exec: exec(threads, token) })
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().ok_or_else(|| to_napi(Error::internal("job computed twice")))?;
        let exec = self.exec.clone();
        guard(move || {
            exec.check()?;
            exec.install(|| work(&exec))
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }
}
