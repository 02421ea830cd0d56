//! allocator-testkit's byte-allocator suite (contract cases and a seeded random workload
//! against its shadow model) on the adapters that are byte allocators themselves: the
//! two-level heap over TLSF and over buddy, 200,000 random operations each.
//!
//! Not over slab: its size classes keep the memory they took until no block at all is live
//! (see allocator-slab's docs), and the suite's exhaustion case (one size until `NoMemory`,
//! free, another size, ...) then finds fewer large blocks than at first once the byte heap's
//! memory comes in several page runs. That is the slab's trait, not the two-level heap's; the
//! collection and `#[global_allocator]` tests run the two-level heap over slab.

use allocator::{BitmapPageAllocator, TwoLevelHeap};
use allocator_testkit::{ByteConfig, check_byte_allocator};

type Pages = BitmapPageAllocator<4096>;

fn config() -> ByteConfig {
    ByteConfig::default().with_ops(if cfg!(miri) { 2_000 } else { 200_000 })
}

#[test]
fn two_level_tlsf() {
    let new = || TwoLevelHeap::<_, Pages>::new(allocator::TlsfByteAllocator::new(), Pages::new());
    if let Err(failure) = check_byte_allocator(new, &config()) {
        panic!("{failure}");
    }
}

#[test]
fn two_level_buddy() {
    let new = || TwoLevelHeap::<_, Pages>::new(allocator::BuddyByteAllocator::new(), Pages::new());
    if let Err(failure) = check_byte_allocator(new, &config()) {
        panic!("{failure}");
    }
}
