//! Alignment arithmetic for implementors.
//!
//! Every `align` argument must be a power of two (which excludes 0). The functions do not check
//! this in release builds, for speed; a debug build panics on a bad `align`. With a bad `align`
//! the result is meaningless but never undefined behaviour.

/// Rounds `addr` down to a multiple of `align`.
///
/// Never overflows: the result is at most `addr`.
///
/// # Panics
///
/// In debug builds, if `align` is not a power of two.
#[inline]
#[must_use]
pub const fn align_down(addr: usize, align: usize) -> usize {
    debug_assert!(align.is_power_of_two(), "align must be a power of two");
    addr & !align.wrapping_sub(1)
}

/// Rounds `addr` up to a multiple of `align`, or `None` if that multiple does not fit in a
/// `usize`.
///
/// # Panics
///
/// In debug builds, if `align` is not a power of two.
#[inline]
#[must_use]
pub const fn checked_align_up(addr: usize, align: usize) -> Option<usize> {
    debug_assert!(align.is_power_of_two(), "align must be a power of two");
    let mask = align.wrapping_sub(1);
    match addr.checked_add(mask) {
        Some(bumped) => Some(bumped & !mask),
        None => None,
    }
}

/// Rounds `addr` up to a multiple of `align`.
///
/// Use [`checked_align_up`] where `addr` may come from a caller: it reports overflow instead
/// of panicking.
///
/// # Panics
///
/// If the result does not fit in a `usize` (that is, `addr > usize::MAX - (align - 1)`), in
/// every build; in debug builds also if `align` is not a power of two.
#[inline]
#[must_use]
pub const fn align_up(addr: usize, align: usize) -> usize {
    match checked_align_up(addr, align) {
        Some(aligned) => aligned,
        None => panic!("align_up overflows usize"),
    }
}

/// Whether `addr` is a multiple of `align`.
///
/// # Panics
///
/// In debug builds, if `align` is not a power of two.
#[inline]
#[must_use]
pub const fn is_aligned(addr: usize, align: usize) -> bool {
    debug_assert!(align.is_power_of_two(), "align must be a power of two");
    addr & align.wrapping_sub(1) == 0
}
