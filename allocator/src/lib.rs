#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
pub use allocator_bitmap::{BitmapIdAllocator, BitmapPageAllocator};
