//! The page tests of the original ArceOS allocator, which need a 4 GiB window. `cargo test`
//! turns `page-alloc-4g` on through the crate's dev-dependency on itself.
#![cfg(feature = "page-alloc-4g")]

#[path = "support/common.rs"]
mod common;

use allocator_core::{BaseAllocator, PageAllocator};
use common::{PS as PAGE_SIZE, Pages, assert_counts, with_pages};

const SIZE_1G: usize = 1 << 30;
const SIZE_2G: usize = 2 << 30;

#[test]
fn one_page() {
    with_pages(|a| {
        // SAFETY: the allocator never touches the memory; nothing else uses these addresses.
        unsafe { a.init(PAGE_SIZE, PAGE_SIZE) }.unwrap();
        assert_counts(a, 1, 0);
        for _ in 0..2 {
            assert_eq!(a.alloc_pages(1, PAGE_SIZE), Ok(PAGE_SIZE));
            assert_counts(a, 1, 1);
            assert_eq!(
                a.alloc_pages(1, PAGE_SIZE),
                Err(allocator_core::AllocError::NoMemory)
            );
            a.dealloc_pages(PAGE_SIZE, 1).unwrap();
            assert_counts(a, 1, 0);
        }
    });
}

/// A 2 GiB region starting one page past 1 GiB, as in the original.
const TEST_BASE: usize = SIZE_1G + PAGE_SIZE;

fn init_2g(a: &mut Pages) {
    // SAFETY: the allocator never touches the memory; nothing else uses these addresses.
    unsafe { a.init(TEST_BASE, SIZE_2G) }.unwrap();
    assert_eq!(a.window(), Some((SIZE_1G, Pages::CAPACITY)));
    assert_counts(a, SIZE_2G / PAGE_SIZE, 0);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a 2 GiB region (512 Ki pages): 20-25 s under Miri, and no unsafe path of its own \
              (the allocator is safe code; one_page runs the 4 GiB allocator under Miri)"
)]
fn size_2g_runs() {
    with_pages(|a| {
        init_2g(a);
        let total = SIZE_2G / PAGE_SIZE;
        for num in [1, 10, 100, 1000] {
            let addr = a.alloc_pages(num, PAGE_SIZE).unwrap();
            assert_eq!(addr, TEST_BASE, "run of {num}");
            assert_counts(a, total, num);
            // The next run starts right after.
            let next = a.alloc_pages(num, PAGE_SIZE).unwrap();
            assert_eq!(next, TEST_BASE + num * PAGE_SIZE, "second run of {num}");
            assert_counts(a, total, 2 * num);
            a.dealloc_pages(addr, num).unwrap();
            a.dealloc_pages(next, num).unwrap();
            assert_counts(a, total, 0);
        }
    });
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a 2 GiB region (512 Ki pages): 20-25 s under Miri, and no unsafe path of its own \
              (the allocator is safe code; one_page runs the 4 GiB allocator under Miri)"
)]
fn size_2g_alignments_up_to_1g() {
    with_pages(|a| {
        init_2g(a);
        let total = SIZE_2G / PAGE_SIZE;
        let mut align = PAGE_SIZE;
        let mut got = Vec::new();
        while align <= SIZE_1G {
            let addr = a.alloc_pages(1, align).unwrap();
            // The first page at or after the region's start that is a multiple of `align`,
            // unless an earlier (smaller-aligned) page took it.
            let expected = TEST_BASE.next_multiple_of(align);
            assert_eq!(addr, expected, "align {align:#x}");
            assert_eq!(addr % align, 0);
            got.push(addr);
            assert_counts(a, total, got.len());
            align <<= 9;
        }
        // 4 KiB, 2 MiB, 1 GiB.
        assert_eq!(got, [TEST_BASE, SIZE_1G + (2 << 20), SIZE_2G]);
        // Runs too, not only single pages.
        let run = a.alloc_pages(1000, SIZE_1G).unwrap_err();
        assert_eq!(
            run,
            allocator_core::AllocError::NoMemory,
            "the 1 GiB page at 2 GiB is taken"
        );
        a.dealloc_pages(SIZE_2G, 1).unwrap();
        assert_eq!(a.alloc_pages(1000, SIZE_1G), Ok(SIZE_2G));
        a.dealloc_pages(SIZE_2G, 1000).unwrap();
        for addr in &got[..2] {
            a.dealloc_pages(*addr, 1).unwrap();
        }
        assert_counts(a, total, 0);
    });
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a 2 GiB region (512 Ki pages): 20-25 s under Miri, and no unsafe path of its own \
              (the allocator is safe code; one_page runs the 4 GiB allocator under Miri)"
)]
fn size_2g_alloc_at_aligned_bases() {
    with_pages(|a| {
        init_2g(a);
        let total = SIZE_2G / PAGE_SIZE;
        let mut used = 0;
        let mut runs = Vec::new();
        for (num, align) in [(1, PAGE_SIZE), (10, 2 << 20), (100, SIZE_1G)] {
            let base = (TEST_BASE + 3 * PAGE_SIZE).next_multiple_of(align);
            assert_eq!(
                a.alloc_pages_at(base, num, align),
                Ok(base),
                "{num} at {base:#x}"
            );
            used += num;
            assert_counts(a, total, used);
            // Taken now.
            assert_eq!(
                a.alloc_pages_at(base, num, align),
                Err(allocator_core::AllocError::NoMemory)
            );
            assert_counts(a, total, used);
            runs.push((base, num));
        }
        assert_eq!(runs[2].0, SIZE_2G);
        for (base, num) in runs {
            a.dealloc_pages(base, num).unwrap();
            used -= num;
            assert_counts(a, total, used);
        }
    });
}

#[test]
#[cfg_attr(miri, ignore = "walks 512 Ki pages bit by bit: hours under Miri")]
fn size_2g_fill_and_drain() {
    with_pages(|a| {
        init_2g(a);
        let total = SIZE_2G / PAGE_SIZE;
        let step = 1000;
        let mut runs = Vec::new();
        let mut used = 0;
        while used + step <= total {
            let addr = a.alloc_pages(step, PAGE_SIZE).unwrap();
            assert_eq!(addr, TEST_BASE + used * PAGE_SIZE);
            used += step;
            runs.push(addr);
        }
        assert_counts(a, total, used);
        let rest = total - used;
        assert_eq!(
            a.alloc_pages(rest + 1, PAGE_SIZE),
            Err(allocator_core::AllocError::NoMemory)
        );
        for addr in runs {
            a.dealloc_pages(addr, step).unwrap();
        }
        assert_counts(a, total, 0);
    });
}
