//! `AllocatorRc` over the toy first-fit backend: zero sizes, resizing across alignments,
//! re-entrancy, constructors and a random workload.

#[path = "support/toy.rs"]
mod toy;
#[path = "support/workload.rs"]
mod workload;

use core::alloc::Layout;

use allocator::{AllocError, AllocatorRc, BaseAllocator, ByteAllocator};
use allocator_api2::alloc::Allocator;
use toy::{FirstFit, leak_pool};
use workload::Rng;

fn heap(size: usize) -> AllocatorRc<FirstFit> {
    AllocatorRc::new(FirstFit::new(), leak_pool(size)).unwrap()
}

fn used(rc: &AllocatorRc<FirstFit>) -> usize {
    rc.stats().unwrap().used_bytes
}

#[test]
fn constructors_check_the_pool() {
    let empty: &'static mut [u8] = &mut [];
    assert_eq!(
        AllocatorRc::new(FirstFit::new(), empty).err(),
        Some(AllocError::InvalidParam)
    );

    // An allocator that already has memory is refused by `init`.
    let mut fed = FirstFit::new();
    let pool = leak_pool(4096);
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { fed.init(pool.as_mut_ptr() as usize, pool.len()) }.unwrap();
    assert_eq!(
        AllocatorRc::new(fed, leak_pool(4096)).err(),
        Some(AllocError::InvalidParam)
    );

    // `from_allocator` wraps an empty allocator; requests fail until a pool is added.
    let rc = AllocatorRc::from_allocator(FirstFit::new());
    assert!(rc.allocate(Layout::new::<u64>()).is_err());
    rc.add_pool(leak_pool(8192)).unwrap();
    let block = rc.allocate(Layout::new::<u64>()).unwrap();
    assert_eq!(rc.stats().unwrap().total_bytes, 8192);
    // SAFETY: allocated just above with this layout.
    unsafe { rc.deallocate(block.cast(), Layout::new::<u64>()) };
    assert_eq!(used(&rc), 0);
}

#[test]
fn zero_size_blocks_never_reach_the_backend() {
    let rc = heap(4096);
    for shift in 0..20 {
        let layout = Layout::from_size_align(0, 1 << shift).unwrap();
        let block = rc.allocate(layout).unwrap();
        assert_eq!(block.len(), 0);
        assert_eq!(block.cast::<u8>().as_ptr() as usize % layout.align(), 0);
        assert_eq!(used(&rc), 0);
        // SAFETY: a zero-size block of this handle with this layout.
        unsafe { rc.deallocate(block.cast(), layout) };
    }
    // Even with the backend full, zero-size requests succeed.
    let all = Layout::from_size_align(4096, 16).unwrap();
    let full = rc.allocate(all).unwrap();
    assert!(rc.allocate(Layout::new::<u8>()).is_err());
    assert!(rc.allocate(Layout::new::<()>()).is_ok());
    // SAFETY: allocated above with `all`.
    unsafe { rc.deallocate(full.cast(), all) };
    assert_eq!(used(&rc), 0);
}

#[test]
fn grow_and_shrink_keep_contents_and_alignment() {
    let rc = heap(1 << 20);
    let small = Layout::from_size_align(24, 8).unwrap();
    let block = rc.allocate(small).unwrap().cast::<u8>();
    // SAFETY: 24 bytes.
    unsafe { workload::fill(block.as_ptr(), 24, 1) };

    // Same alignment: through `realloc`.
    let bigger = Layout::from_size_align(1000, 8).unwrap();
    // SAFETY: `block` is live with `small`, and 1000 >= 24.
    let block = unsafe { rc.grow_zeroed(block, small, bigger) }.unwrap();
    assert_eq!(block.len(), 1000);
    let block = block.cast::<u8>();
    // SAFETY: 1000 bytes, the first 24 kept, the rest zeroed.
    unsafe {
        workload::check(block.as_ptr(), 24, 1);
        assert!(
            (24..1000).all(|i| *block.as_ptr().add(i) == 0),
            "grow_zeroed left garbage"
        );
    }

    // A larger alignment: moved, since `realloc` keeps the old one.
    let aligned = Layout::from_size_align(2000, 4096).unwrap();
    // SAFETY: live with `bigger`, 2000 >= 1000.
    let block = unsafe { rc.grow(block, bigger, aligned) }
        .unwrap()
        .cast::<u8>();
    assert_eq!(block.as_ptr() as usize % 4096, 0);
    // SAFETY: the first 24 bytes were kept.
    unsafe { workload::check(block.as_ptr(), 24, 1) };

    // Shrink to a smaller alignment, then to zero.
    let shrunk = Layout::from_size_align(16, 2).unwrap();
    // SAFETY: live with `aligned`, 16 <= 2000.
    let block = unsafe { rc.shrink(block, aligned, shrunk) }
        .unwrap()
        .cast::<u8>();
    // SAFETY: 16 bytes kept.
    unsafe { workload::check(block.as_ptr(), 16, 1) };
    let zero = Layout::from_size_align(0, 64).unwrap();
    // SAFETY: live with `shrunk`.
    let block = unsafe { rc.shrink(block, shrunk, zero) }.unwrap();
    assert_eq!(block.cast::<u8>().as_ptr() as usize % 64, 0);
    assert_eq!(used(&rc), 0, "shrinking to zero frees the block");
    // And grow from zero again.
    // SAFETY: a zero-size block with `zero`.
    let block = unsafe { rc.grow(block.cast(), zero, small) }.unwrap();
    assert_eq!(used(&rc), 32);
    // SAFETY: live with `small`.
    unsafe { rc.deallocate(block.cast(), small) };
    assert_eq!(used(&rc), 0);
}

#[test]
fn reentrancy_is_an_error_not_a_panic() {
    let rc = heap(1 << 16);
    let layout = Layout::new::<[u64; 4]>();
    let outside = rc.allocate(layout).unwrap();
    let used_before = used(&rc);
    let inner = rc.clone();
    let result = rc
        .with(|backend| {
            let used = backend.used_bytes();
            // The handle is borrowed here: allocating through a clone fails cleanly...
            assert!(inner.allocate(layout).is_err());
            assert_eq!(inner.stats(), Err(AllocError::InvalidParam));
            assert_eq!(inner.with(|_| ()), Err(AllocError::InvalidParam));
            assert_eq!(
                inner.add_pool(leak_pool(4096)),
                Err(AllocError::InvalidParam)
            );
            // ...and a block freed here leaks instead of being freed.
            // SAFETY: `outside` is live with `layout`; it is not used again.
            unsafe { inner.deallocate(outside.cast(), layout) };
            used
        })
        .unwrap();
    assert_eq!(result, used_before);
    assert_eq!(
        used(&rc),
        used_before,
        "the block freed inside `with` leaked"
    );
}

#[test]
fn clones_share_one_heap() {
    let rc = heap(1 << 16);
    let other = rc.clone();
    let layout = Layout::from_size_align(100, 4).unwrap();
    let block = rc.allocate(layout).unwrap();
    assert_eq!(used(&other), 112);
    // SAFETY: allocated by a clone of `other`, with `layout`.
    unsafe { other.deallocate(block.cast(), layout) };
    assert_eq!(used(&rc), 0);
    assert!(format!("{rc:?}").contains("used_bytes: 0"));
}

#[test]
fn random_workload_on_the_toy() {
    let rc = heap(if cfg!(miri) { 4 << 20 } else { 32 << 20 });
    let mut rng = Rng::new(0x5EED_0001);
    workload::random_blocks(&rc, &mut rng);
    assert_eq!(used(&rc), 0);
    let mut v = allocator_api2::vec::Vec::new_in(rc.clone());
    v.extend(0..if cfg!(miri) { 1_000 } else { 100_000u32 });
    assert!(v.iter().enumerate().all(|(i, &x)| x as usize == i));
    drop(v);
    assert_eq!(used(&rc), 0);
}
