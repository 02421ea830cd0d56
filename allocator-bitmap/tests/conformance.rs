//! The workspace's conformance suite (allocator-testkit) on both allocators: contract cases and
//! a 100,000-step random workload each, judged by the testkit's model.

use allocator_bitmap::{BitmapIdAllocator, BitmapPageAllocator, Ids4K, Ids64K, Ids256};
use allocator_testkit::{IdConfig, PageConfig, check_id_allocator, check_page_allocator};

/// Runs `f` in a thread whose stack holds a few allocators of `bytes` each, whatever the
/// capacity features.
fn on_big_stack(bytes: usize, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(8 * bytes + (16 << 20))
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn page_config<const P: usize>() -> PageConfig {
    // The window: 1 GiB, and as long as the bitmap covers (saturating on 32-bit targets).
    let size = BitmapPageAllocator::<P>::CAPACITY.saturating_mul(P);
    let size = size.min(usize::MAX - 0x4000_0000 + 1);
    let mut config = PageConfig::default().with_window(0x4000_0000, size);
    // The exhaustion cases cost the testkit's model O(pages) per step: 8,192 pages keep them
    // to a second in debug builds (64 Ki pages took 35 s).
    config.contract_size = config.contract_size.min(8192 * P);
    // Miri: the allocators have no unsafe code of their own (nor has bitmap-allocator), so
    // a smaller run suffices there: 64 pages and 200 steps, as the testkit's own tests use.
    if cfg!(miri) {
        config.contract_size = config.contract_size.min(64 * P);
        config.random_size = config.random_size.min(64 * P);
        config = config.with_ops(200);
    }
    config
}

#[test]
fn page_allocator_4k() {
    type Pages = BitmapPageAllocator<4096>;
    on_big_stack(size_of::<Pages>(), || {
        if let Err(failure) = check_page_allocator(Pages::new, &page_config::<4096>()) {
            panic!("{failure}");
        }
    });
}

#[test]
fn page_allocator_64k() {
    type Pages = BitmapPageAllocator<65536>;
    on_big_stack(size_of::<Pages>(), || {
        let config = page_config::<65536>().with_seed(0x64_6b);
        if let Err(failure) = check_page_allocator(Pages::new, &config) {
            panic!("{failure}");
        }
    });
}

/// Any power-of-two alignment is valid for IDs: those beyond the capacity fit only the
/// window's first ID.
fn id_config(start: usize, capacity: usize) -> IdConfig {
    let mut config = IdConfig::default().with_window(start, capacity);
    config.max_align = 1 << (usize::BITS - 1);
    // Miri: as for pages, 128 IDs and 200 steps.
    if cfg!(miri) {
        config.contract_size = config.contract_size.min(128);
        config.random_size = config.random_size.min(128);
        config = config.with_ops(200);
    }
    config
}

#[test]
fn id_allocator_4k() {
    if let Err(failure) = check_id_allocator(BitmapIdAllocator::<Ids4K>::new, &id_config(0, 4096)) {
        panic!("{failure}");
    }
}

#[test]
fn id_allocator_256_away_from_zero() {
    let config = id_config(512, 256).with_seed(0x1d5);
    if let Err(failure) = check_id_allocator(BitmapIdAllocator::<Ids256>::new, &config) {
        panic!("{failure}");
    }
}

#[test]
fn id_allocator_64k() {
    let config = id_config(1 << 16, 1 << 16).with_seed(0x64_000);
    if let Err(failure) = check_id_allocator(BitmapIdAllocator::<Ids64K>::new, &config) {
        panic!("{failure}");
    }
}
