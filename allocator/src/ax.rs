//! Conversions from [`AllocError`] to [`axerrno`]'s error codes (axerrno 0.2).
//!
//! `AllocError` lives in allocator-core and `AxError` in axerrno, so Rust's orphan rule forbids
//! this crate an `impl From<AllocError> for AxError`; these functions and the [`IntoAxError`]
//! trait give the same mapping: [`NoMemory`](AllocError::NoMemory) becomes
//! [`AxErrorKind::NoMemory`], every other cause [`AxErrorKind::InvalidInput`].
//!
//! ```
//! use allocator::AllocError;
//! use allocator::ax::IntoAxError;
//! use axerrno::{AxError, AxResult};
//!
//! fn reserve(fail: bool) -> AxResult<usize> {
//!     let result: Result<usize, AllocError> =
//!         if fail { Err(AllocError::NoMemory) } else { Ok(4096) };
//!     Ok(result.into_ax()?)
//! }
//! assert_eq!(reserve(true), Err(AxError::NoMemory));
//! assert_eq!(reserve(false), Ok(4096));
//! ```

pub use axerrno::{AxError, AxErrorKind, AxResult};

use allocator_core::AllocError;

/// The [`AxErrorKind`] of an [`AllocError`]: `NoMemory` for
/// [`NoMemory`](AllocError::NoMemory), `InvalidInput` for every other cause.
#[must_use]
pub const fn ax_error_kind(err: AllocError) -> AxErrorKind {
    match err {
        AllocError::NoMemory => AxErrorKind::NoMemory,
        // `InvalidParam`, `MemoryOverlap`, `NotAllocated`, and causes added later.
        _ => AxErrorKind::InvalidInput,
    }
}

/// The [`AxError`] of an [`AllocError`], as [`ax_error_kind`].
#[must_use]
pub fn ax_error(err: AllocError) -> AxError {
    AxError::from(ax_error_kind(err))
}

/// Turns an [`AllocError`], or the error of a result, into axerrno's.
pub trait IntoAxError {
    /// The converted value.
    type Output;

    /// Converts as [`ax_error`] does.
    fn into_ax(self) -> Self::Output;
}

impl IntoAxError for AllocError {
    type Output = AxError;

    fn into_ax(self) -> AxError {
        ax_error(self)
    }
}

impl<T> IntoAxError for Result<T, AllocError> {
    type Output = AxResult<T>;

    fn into_ax(self) -> AxResult<T> {
        self.map_err(ax_error)
    }
}
