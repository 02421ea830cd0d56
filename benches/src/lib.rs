#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(feature = "nightly", feature(allocator_api, btreemap_alloc))]

#[cfg(feature = "nightly")]
extern crate alloc;

pub mod contenders;
pub mod heap;
pub mod peers;
pub mod plan;
pub mod rc;
pub mod region;
pub mod report;
pub mod scenarios;
pub mod svg;
pub mod upstream;

pub use contenders::{ByteContender, Kind, UnitContender};
pub use region::Region;
