#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(feature = "allocator_api", feature(allocator_api))]

#[cfg(feature = "alloc")]
extern crate alloc;

pub use allocator_core::*;

#[cfg(feature = "buddy")]
#[cfg_attr(docsrs, doc(cfg(feature = "buddy")))]
pub use allocator_buddy::BuddyByteAllocator;

#[cfg(feature = "slab")]
#[cfg_attr(docsrs, doc(cfg(feature = "slab")))]
pub use allocator_slab::SlabByteAllocator;

#[cfg(feature = "tlsf")]
#[cfg_attr(docsrs, doc(cfg(feature = "tlsf")))]
pub use allocator_tlsf::TlsfByteAllocator;

#[cfg(feature = "bitmap")]
#[cfg_attr(docsrs, doc(cfg(feature = "bitmap")))]
pub use allocator_bitmap::{
    BitmapIdAllocator, BitmapPageAllocator, IdCapacity, Ids1M, Ids4K, Ids16, Ids16M, Ids64K,
    Ids256, Ids256M,
};

/// The workspace's README: its examples run as doctests of this crate, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadme;

mod stats;
pub use stats::HeapStats;

#[cfg(all(
    any(feature = "rc", feature = "lock"),
    any(feature = "allocator-api2", feature = "allocator_api")
))]
mod api;

#[cfg(feature = "rc")]
#[cfg_attr(docsrs, doc(cfg(feature = "rc")))]
pub mod rc;
#[cfg(feature = "rc")]
#[cfg_attr(docsrs, doc(cfg(feature = "rc")))]
pub use rc::AllocatorRc;

#[cfg(feature = "lock")]
#[cfg_attr(docsrs, doc(cfg(feature = "lock")))]
pub mod lock;
#[cfg(feature = "lock")]
#[cfg_attr(docsrs, doc(cfg(feature = "lock")))]
pub use lock::{Locked, SpinRawMutex};

#[cfg(feature = "two-level")]
#[cfg_attr(docsrs, doc(cfg(feature = "two-level")))]
pub mod two_level;
#[cfg(feature = "two-level")]
#[cfg_attr(docsrs, doc(cfg(feature = "two-level")))]
pub use two_level::TwoLevelHeap;

#[cfg(feature = "axerrno")]
#[cfg_attr(docsrs, doc(cfg(feature = "axerrno")))]
pub mod ax;
