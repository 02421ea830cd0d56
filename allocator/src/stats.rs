//! A snapshot of a byte heap's statistics.

use allocator_core::ByteAllocator;

/// The statistics of a byte allocator at one moment: what
/// [`ByteAllocator::total_bytes`], [`used_bytes`](ByteAllocator::used_bytes) and
/// [`available_bytes`](ByteAllocator::available_bytes) returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HeapStats {
    /// The bytes the allocator can hand out from its regions.
    pub total_bytes: usize,
    /// The bytes live blocks withhold from other requests, rounding included.
    pub used_bytes: usize,
    /// `total_bytes - used_bytes` (saturating).
    pub available_bytes: usize,
}

impl HeapStats {
    /// Reads the statistics of `heap`.
    #[must_use]
    pub fn of<A: ByteAllocator + ?Sized>(heap: &A) -> Self {
        let total_bytes = heap.total_bytes();
        let used_bytes = heap.used_bytes();
        Self {
            total_bytes,
            used_bytes,
            available_bytes: total_bytes.saturating_sub(used_bytes),
        }
    }
}
