//! The original's collection tests exactly, on nightly Rust with `core`'s `Allocator` (feature
//! `allocator_api`): `Vec::new_in`, `BTreeMap::new_in`, for every byte backend and the
//! two-level heap through `AllocatorRc`, and through `&Locked`. Run with
//! `cargo +nightly test -p allocator --features allocator_api`.

#![cfg(feature = "allocator_api")]
#![feature(allocator_api, btreemap_alloc)]
// Test data: every truncating cast below is of a value already reduced below the target type's
// range, or meant to keep the low bits.
#![allow(clippy::cast_possible_truncation)]

#[path = "support/toy.rs"]
mod toy;

use std::alloc::{Allocator, Layout};
use std::collections::BTreeMap;
use std::time::Instant;

use allocator::{AllocatorRc, ByteAllocator, Locked};
use toy::leak_pool;

const POOL: usize = if cfg!(miri) { 8 << 20 } else { 128 << 20 };

/// SplitMix64, as in `support/workload.rs`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn vec_sort<A: Allocator>(alloc: A, rng: &mut Rng) {
    let n = if cfg!(miri) { 3_000 } else { 3_000_000 };
    let mut v = Vec::new_in(alloc);
    for _ in 0..n {
        v.push(rng.next() as u32);
    }
    v.sort();
    assert_eq!(v.len(), n);
    assert!(v.windows(2).all(|w| w[0] <= w[1]));
}

fn many_vecs<A: Allocator + Clone>(alloc: A, rng: &mut Rng) {
    let (small, large) = if cfg!(miri) {
        (300, 75)
    } else {
        (30_000, 7_500)
    };
    let mut vecs = Vec::new();
    for i in 0..small + large {
        let cap = if i < small { 64 } else { 520 };
        let mut v: Vec<u64, A> = Vec::with_capacity_in(cap, alloc.clone());
        v.extend((0..cap as u64).map(|j| (i as u64) << 20 | j));
        vecs.push((i as u64, v));
    }
    for i in (1..vecs.len()).rev() {
        vecs.swap(i, rng.below(i + 1));
    }
    for (i, v) in vecs {
        assert!(v.iter().enumerate().all(|(j, &x)| x == i << 20 | j as u64));
    }
}

fn btree_map<A: Allocator + Clone>(alloc: A, rng: &mut Rng) {
    let steps = if cfg!(miri) { 500 } else { 50_000 };
    let mut map = BTreeMap::new_in(alloc.clone());
    let mut model = std::collections::BTreeMap::new();
    for i in 0..steps {
        if rng.below(5) == 0 {
            let popped = map
                .pop_first()
                .map(|(k, v): (Vec<u8, A>, usize)| (k.to_vec(), v));
            assert_eq!(popped, model.pop_first());
        } else {
            let mut key = Vec::new_in(alloc.clone());
            key.extend_from_slice(format!("key_{i}").as_bytes());
            map.insert(key, i);
            model.insert(format!("key_{i}").into_bytes(), i);
        }
    }
    assert_eq!(map.len(), model.len());
    assert!(
        map.iter()
            .zip(&model)
            .all(|((k, v), (mk, mv))| k[..] == mk[..] && v == mv)
    );
}

fn random_blocks<A: Allocator>(alloc: &A, rng: &mut Rng) {
    let n = if cfg!(miri) { 200 } else { 20_000 };
    let mut live = Vec::new();
    for tag in 0..n {
        if rng.below(3) < 2 || live.is_empty() {
            let size = rng.below(4096);
            let align = 1 << rng.below(13);
            let layout = Layout::from_size_align(size, align).unwrap();
            let ptr = alloc.allocate(layout).unwrap().cast::<u8>();
            assert_eq!(ptr.as_ptr() as usize % align, 0);
            // SAFETY: the block has `size` bytes.
            unsafe { ptr.as_ptr().write_bytes(tag as u8, size) };
            live.push((ptr, layout, tag as u8));
        } else {
            let (ptr, layout, tag) = live.swap_remove(rng.below(live.len()));
            // SAFETY: live with `layout`, checked then freed once.
            unsafe {
                assert!(
                    std::slice::from_raw_parts(ptr.as_ptr(), layout.size())
                        .iter()
                        .all(|&b| b == tag)
                );
                alloc.deallocate(ptr, layout);
            }
        }
    }
    for (ptr, layout, _) in live {
        // SAFETY: live with `layout`, freed once.
        unsafe { alloc.deallocate(ptr, layout) };
    }
}

fn run_all<A: Allocator + Clone>(name: &str, alloc: A, used: impl Fn() -> usize) {
    let start = used();
    let mut rng = Rng(0xC011_EC72);
    let started = Instant::now();
    vec_sort(alloc.clone(), &mut rng);
    many_vecs(alloc.clone(), &mut rng);
    btree_map(alloc.clone(), &mut rng);
    random_blocks(&alloc, &mut rng);
    println!("{name}: {:.2?}", started.elapsed());
    assert_eq!(used(), start, "{name}: used_bytes not restored");
}

fn through_rc<A: ByteAllocator>(name: &str, backend: A) {
    let rc = AllocatorRc::new(backend, leak_pool(POOL)).unwrap();
    run_all(name, rc.clone(), || rc.stats().unwrap().used_bytes);
}

fn through_lock<A: ByteAllocator + Send>(name: &str, backend: A) {
    let heap = Box::leak(Box::new(Locked::<A>::new(backend)));
    let pool = leak_pool(POOL);
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.init(pool.as_mut_ptr() as usize, pool.len()) }.unwrap();
    let heap: &Locked<A> = heap;
    run_all(name, heap, || heap.used_bytes());
}

#[cfg(feature = "buddy")]
#[test]
fn buddy() {
    through_rc("buddy", allocator::BuddyByteAllocator::new());
    through_lock("buddy/locked", allocator::BuddyByteAllocator::new());
}

#[cfg(feature = "slab")]
#[test]
fn slab() {
    through_rc("slab", allocator::SlabByteAllocator::new());
    through_lock("slab/locked", allocator::SlabByteAllocator::new());
}

#[cfg(feature = "tlsf")]
#[test]
fn tlsf() {
    through_rc("tlsf", allocator::TlsfByteAllocator::new());
    through_lock("tlsf/locked", allocator::TlsfByteAllocator::new());
}

#[cfg(all(feature = "tlsf", feature = "bitmap"))]
#[test]
fn two_level() {
    use allocator::{BitmapPageAllocator, TwoLevelHeap};
    let heap: TwoLevelHeap<_, BitmapPageAllocator<4096>> = TwoLevelHeap::new(
        allocator::TlsfByteAllocator::new(),
        BitmapPageAllocator::new(),
    );
    through_rc("two-level(tlsf, bitmap)", heap);
}
