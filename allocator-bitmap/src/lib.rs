#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod id;
mod page;
mod window;

pub use id::{BitmapIdAllocator, IdCapacity, Ids1M, Ids4K, Ids16, Ids16M, Ids64K, Ids256, Ids256M};
pub use page::BitmapPageAllocator;
