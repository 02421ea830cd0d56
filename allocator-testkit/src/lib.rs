#![doc = include_str!("../README.md")]
// The testkit runs on a host: it uses `std`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod byte;
mod common;
mod entropy;
mod failure;
mod fuzz;
mod id;
mod macros;
mod memory;
mod page;
mod pattern;
mod regions;
mod units;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod toys;

use core::ops::{Deref, DerefMut};

pub use byte::{
    ByteConfig, ByteModel, ByteOp, ByteRunner, ByteShape, DEFAULT_SEED, RunStats,
    check_byte_allocator, check_byte_allocator_boxed, check_byte_contract, check_byte_random,
};
pub use entropy::{Entropy, FuzzInput, TestRng};
pub use failure::Failure;
pub use fuzz::fuzz_byte_allocator;
pub use id::{
    IdConfig, IdRunner, check_id_allocator, check_id_allocator_boxed, check_id_contract,
    check_id_random, fuzz_id_allocator,
};
pub use memory::HostRegion;
pub use page::{
    PageConfig, PageRunner, check_page_allocator, check_page_allocator_boxed, check_page_contract,
    check_page_random, fuzz_page_allocator,
};
pub use units::{UnitModel, UnitOp, UnitShape};

/// An allocator held by value, seen through `DerefMut` like a boxed one, so that one generic
/// implementation serves both.
struct Owned<A>(A);

impl<A> Deref for Owned<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.0
    }
}

impl<A> DerefMut for Owned<A> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.0
    }
}
