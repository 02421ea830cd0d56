//! Fuzzer bytes become page operations (runs, aligned runs, fixed addresses, good and bad
//! frees) on `BitmapPageAllocator<4096>` over 256 pages in four regions with holes; every
//! answer and count must match the testkit's exact model.

#![no_main]

use allocator_bitmap::BitmapPageAllocator;
use allocator_testkit::PageConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut config = PageConfig::default();
    config.random_size = 1 << 20;
    config.random_max_align = 256 << 10;
    config.max_run = 64;
    let new = || Box::new(BitmapPageAllocator::<4096>::new());
    if let Err(failure) = allocator_testkit::fuzz_page_allocator(new, &config, data) {
        panic!("{failure}");
    }
});
