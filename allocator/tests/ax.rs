//! `AllocError` to axerrno's codes: `NoMemory` to `NoMemory`, every other cause to
//! `InvalidInput`.

use allocator::AllocError;
use allocator::ax::{AxError, AxErrorKind, IntoAxError, ax_error, ax_error_kind};

#[test]
fn every_cause_maps() {
    let cases = [
        (AllocError::NoMemory, AxErrorKind::NoMemory),
        (AllocError::InvalidParam, AxErrorKind::InvalidInput),
        (AllocError::MemoryOverlap, AxErrorKind::InvalidInput),
        (AllocError::NotAllocated, AxErrorKind::InvalidInput),
    ];
    for (err, kind) in cases {
        assert_eq!(ax_error_kind(err), kind);
        assert_eq!(ax_error(err), AxError::from(kind));
        assert_eq!(err.into_ax(), AxError::from(kind));
        assert_eq!(Err::<(), _>(err).into_ax(), Err(AxError::from(kind)));
    }
    assert_eq!(Ok::<_, AllocError>(7).into_ax(), Ok(7));
    assert_eq!(ax_error(AllocError::NoMemory), AxError::NoMemory);
}
