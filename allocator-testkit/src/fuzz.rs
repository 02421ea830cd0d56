//! Entry points for fuzz targets: a fuzzer's bytes become a sequence of checked operations.

use allocator_core::ByteAllocator;

use crate::{
    byte::{ByteModel, ByteRunner, ByteShape, RunStats},
    entropy::{Entropy, FuzzInput},
    failure::Failure,
    memory::HostRegion,
};

/// Size of the region of [`fuzz_byte_allocator`]: small, so that fuzzers reach exhaustion.
const FUZZ_REGION: usize = 1 << 20;

/// Runs byte operations decoded from a fuzzer's bytes on a fresh allocator from `new`, in a
/// 1 MiB region (sizes up to 128 KiB, alignments up to 4096, at most 256 live blocks), then
/// frees everything; every answer is checked as in the random workload.
///
/// # Errors
///
/// The first [`Failure`] (with the step; no seed).
pub fn fuzz_byte_allocator<A: ByteAllocator>(
    new: impl FnOnce() -> A,
    data: &[u8],
) -> Result<RunStats, Failure> {
    let region = HostRegion::new(FUZZ_REGION, 4096);
    let mut alloc = new();
    // SAFETY: `region` is ours, valid for reads and writes, and outlives `alloc` (declared
    // before it, so dropped after it).
    unsafe { alloc.init(region.start(), region.size()) }.map_err(|e| {
        Failure::new("wrong-result", format!("init failed: {e:?}")).within("fuzz/init")
    })?;
    let mut model = ByteModel::new();
    model.add_region(region.start(), region.size());
    let shape = ByteShape {
        max_size: FUZZ_REGION / 8,
        max_align: 4096,
        max_live: 256,
    };
    let mut src = FuzzInput::new(data);
    let mut runner = ByteRunner::new(&mut alloc, model, None);
    while !src.is_exhausted() {
        let op = shape.generate(&mut src, runner.model());
        runner.apply(op)?;
    }
    runner.finish()
}
