//! Entry points for fuzz targets: a fuzzer's bytes become a sequence of checked operations.

use std::cell::RefCell;

use allocator_core::ByteAllocator;

use crate::{
    byte::{ByteModel, ByteRunner, ByteShape, RunStats},
    entropy::{Entropy, FuzzInput},
    failure::Failure,
    memory::HostRegion,
};

/// Size of the region of [`fuzz_byte_allocator`]: small, so that fuzzers reach exhaustion.
const FUZZ_REGION: usize = 1 << 20;

thread_local! {
    /// The region of [`fuzz_byte_allocator`], reused by every run on the thread: taking and
    /// zeroing a fresh one each time would cost more than the run. Its contents carry over,
    /// as nothing promises an allocator zeroed memory.
    static REGION: RefCell<Option<HostRegion>> = const { RefCell::new(None) };
}

/// Runs byte operations decoded from a fuzzer's bytes on a fresh allocator from `new`, in a
/// 1 MiB region (sizes up to 128 KiB, alignments up to 4096, at most 256 live blocks), then
/// frees everything; every answer is checked as in the random workload.
///
/// The region is taken once per thread and reused by later calls.
///
/// # Errors
///
/// The first [`Failure`] (with the step; no seed).
///
/// # Panics
///
/// If `new` itself calls this function.
pub fn fuzz_byte_allocator<A: ByteAllocator>(
    new: impl FnOnce() -> A,
    data: &[u8],
) -> Result<RunStats, Failure> {
    REGION.with(|slot| {
        let mut slot = slot.borrow_mut();
        let region = slot.get_or_insert_with(|| HostRegion::new(FUZZ_REGION, 4096));
        run(region, new, data)
    })
}

fn run<A: ByteAllocator>(
    region: &HostRegion,
    new: impl FnOnce() -> A,
    data: &[u8],
) -> Result<RunStats, Failure> {
    let mut alloc = new();
    // SAFETY: `region` is ours (borrowed for this whole call, so no other run uses it), valid
    // for reads and writes, and outlives `alloc`, a local of this function.
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
