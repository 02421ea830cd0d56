//! Fuzzer bytes become ID operations (runs, aligned runs, fixed IDs, good and bad frees,
//! queries) on `BitmapIdAllocator<Ids256>` over IDs 256..512 in four ranges with holes; every
//! answer and count must match the testkit's exact model.

#![no_main]

use allocator_bitmap::{BitmapIdAllocator, Ids256};
use allocator_testkit::IdConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut config = IdConfig::default().with_window(256, 256);
    config.random_max_align = 64;
    config.max_run = 32;
    let new = || Box::new(BitmapIdAllocator::<Ids256>::new());
    if let Err(failure) = allocator_testkit::fuzz_id_allocator(new, &config, data) {
        panic!("{failure}");
    }
});
