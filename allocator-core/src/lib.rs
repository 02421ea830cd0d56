#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod align;
mod base;
mod byte;
mod error;
mod id;
mod page;
mod regions;

pub use align::{align_down, align_up, checked_align_up, is_aligned};
pub use base::BaseAllocator;
pub use byte::{ByteAllocator, realloc_by_copy, resized};
pub use error::{AllocError, AllocResult};
pub use id::IdAllocator;
pub use page::PageAllocator;
pub use regions::Regions;
