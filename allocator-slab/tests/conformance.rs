//! The shared conformance suite of `allocator-testkit`: the contract cases, and the seeded
//! random workload (1,000,000 operations in a 128 MiB region; scaled down under Miri).

use allocator_testkit::ByteConfig;

/// The testkit's defaults, but with the native region sizes and alignment under Miri too: a
/// slab of the 4096-byte class takes 256 KiB at once, so the 128 KiB regions of the Miri
/// defaults cannot serve a request of 2 to 4 KiB, which the contract cases expect to succeed;
/// and with smaller or less aligned regions, the slabs made by the exhaustion case's other
/// requests keep so much memory that its refill falls short.
fn config() -> ByteConfig {
    let mut config = ByteConfig::default();
    config.small_region_size = config.small_region_size.max(1 << 20);
    config.region_align = config.region_align.max(2 << 20);
    config
}

allocator_testkit::byte_allocator_tests!(allocator_slab::SlabByteAllocator::new(), config());
