//! Fuzzer bytes become alloc/dealloc/realloc steps on `SlabByteAllocator` in a 1 MiB region, each
//! checked by the testkit's shadow model (placement, alignment, overlap, contents, statistics).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = allocator_testkit::fuzz_byte_allocator(allocator_slab::SlabByteAllocator::new, data) {
        panic!("{failure}");
    }
});
