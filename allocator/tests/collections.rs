//! The original's collection tests, on stable Rust, for every byte backend and the two-level
//! heap through `AllocatorRc` in a 128 MiB pool: allocator-api2's `Vec`, hashbrown's `HashMap`
//! (in place of `BTreeMap`, which has no stable allocator parameter), and random blocks.
//! After each workload `used_bytes` must be back to its start value.

#[path = "support/toy.rs"]
mod toy;
#[path = "support/workload.rs"]
mod workload;

use std::time::Instant;

use allocator::{AllocatorRc, ByteAllocator};
use toy::leak_pool;
use workload::Rng;

const POOL: usize = if cfg!(miri) { 8 << 20 } else { 128 << 20 };

fn run_all<A: ByteAllocator>(name: &str, backend: A) {
    let rc = AllocatorRc::new(backend, leak_pool(POOL)).unwrap();
    run_on(name, &rc);
}

/// A named workload.
type Step<'a> = (&'static str, &'a dyn Fn(&mut Rng));

fn run_on<A: ByteAllocator>(name: &str, rc: &AllocatorRc<A>) {
    let start = rc.stats().unwrap().used_bytes;
    let mut rng = Rng::new(0xC011_EC71);
    let steps: [Step<'_>; 4] = [
        ("vec_sort", &|rng| workload::vec_sort(rc.clone(), rng)),
        ("many_vecs", &|rng| workload::many_vecs(rc.clone(), rng)),
        ("hash_map", &|rng| workload::hash_map(rc.clone(), rng)),
        ("random_blocks", &|rng| workload::random_blocks(rc, rng)),
    ];
    for (step, run) in steps {
        let started = Instant::now();
        run(&mut rng);
        println!("{name}/{step}: {:.2?}", started.elapsed());
        assert_eq!(
            rc.stats().unwrap().used_bytes,
            start,
            "{name}/{step}: used_bytes not restored"
        );
    }
}

#[cfg(feature = "buddy")]
#[test]
fn buddy() {
    run_all("buddy", allocator::BuddyByteAllocator::new());
}

#[cfg(feature = "slab")]
#[test]
fn slab() {
    run_all("slab", allocator::SlabByteAllocator::new());
}

#[cfg(feature = "tlsf")]
#[test]
fn tlsf() {
    run_all("tlsf", allocator::TlsfByteAllocator::new());
}

#[cfg(all(feature = "tlsf", feature = "bitmap"))]
#[test]
fn two_level_tlsf_over_bitmap() {
    use allocator::{BitmapPageAllocator, TwoLevelHeap};
    let heap: TwoLevelHeap<_, BitmapPageAllocator<4096>> = TwoLevelHeap::new(
        allocator::TlsfByteAllocator::new(),
        BitmapPageAllocator::new(),
    );
    let rc = AllocatorRc::new(heap, leak_pool(POOL)).unwrap();
    run_on("two-level(tlsf, bitmap)", &rc);
    let grown = rc.with(|h| h.heap_bytes()).unwrap();
    assert!(grown > 1 << 20, "the heap grew to {grown} bytes");
    println!(
        "two-level(tlsf, bitmap): byte heap grew to {} KiB",
        grown >> 10
    );
}

#[cfg(all(feature = "slab", feature = "bitmap"))]
#[test]
fn two_level_slab_over_bitmap() {
    use allocator::{BitmapPageAllocator, TwoLevelHeap};
    let heap: TwoLevelHeap<_, BitmapPageAllocator<4096>> = TwoLevelHeap::new(
        allocator::SlabByteAllocator::new(),
        BitmapPageAllocator::new(),
    );
    let rc = AllocatorRc::new(heap, leak_pool(POOL)).unwrap();
    run_on("two-level(slab, bitmap)", &rc);
    let grown = rc.with(|h| h.heap_bytes()).unwrap();
    println!(
        "two-level(slab, bitmap): byte heap grew to {} KiB",
        grown >> 10
    );
}
