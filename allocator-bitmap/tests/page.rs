//! `BitmapPageAllocator`: regions, holes, the window, and every error path, each checked to
//! change nothing. Addresses stay within the smallest (256 MiB) window.

#[path = "support/common.rs"]
mod common;

use allocator_bitmap::BitmapPageAllocator;
use allocator_core::{AllocError, BaseAllocator, PageAllocator};
use common::{OVERLAPS, PS, Pages, assert_counts, with_pages};

/// Start of the test window: 2 GiB, so a multiple of every window alignment.
const W: usize = 0x8000_0000;
/// The smallest window's length in bytes.
const SPAN: usize = (64 << 10) * PS;

fn add(a: &mut Pages, start: usize, size: usize) -> Result<(), AllocError> {
    // SAFETY: the allocator never touches the memory; nothing else uses these addresses.
    unsafe { a.add_memory(start, size) }
}

/// Two regions with a hole: pages 16..32 and 48..64 of the window.
fn two_regions(a: &mut Pages) {
    add(a, W + 16 * PS, 16 * PS).unwrap();
    add(a, W + 48 * PS, 16 * PS).unwrap();
    assert_counts(a, 32, 0);
}

#[test]
fn new_default_debug() {
    with_pages(|a| {
        assert_counts(a, 0, 0);
        assert_eq!(a.window(), None);
        assert_eq!(a.alloc_pages(1, PS), Err(AllocError::NoMemory));
        assert_eq!(a.dealloc_pages(W, 1), Err(AllocError::InvalidParam));
        let d = Pages::default();
        assert_eq!(d.total_pages(), 0);
        two_regions(a);
        a.alloc_pages(3, PS).unwrap();
        let s = format!("{a:?}");
        assert!(s.contains("total_pages: 32"), "{s}");
        assert!(s.contains("used_pages: 3"), "{s}");
        assert!(s.contains("regions: 2"), "{s}");
        assert!(s.contains(&format!("window_start: Some({})", W)), "{s}");
    });
}

#[test]
fn send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pages>();
}

#[test]
fn static_allocator() {
    static PAGES: std::sync::Mutex<Pages> = std::sync::Mutex::new(Pages::new());
    let mut a = PAGES.lock().unwrap();
    add(&mut a, W, 4 * PS).unwrap();
    assert_eq!(a.alloc_pages(4, 4 * PS), Ok(W));
}

#[test]
fn window_starts_at_the_first_region_rounded_down() {
    with_pages(|a| {
        add(a, W + 0x20_0000, 16 * PS).unwrap();
        // Rounded down to 1 GiB, or to the window's length if shorter: 2 GiB either way.
        assert_eq!(a.window(), Some((W, Pages::CAPACITY)));
        // A later region below the window start is refused.
        assert_eq!(add(a, W - PS, PS), Err(AllocError::InvalidParam));
        // Anywhere inside the window is fine, in any order.
        add(a, W, PS).unwrap();
        add(a, W + SPAN - PS, PS).unwrap();
        assert_counts(a, 18, 0);
        // Past the window's end is refused, wholly or partly (if the end is an address: on
        // 32-bit targets the larger windows reach past the address space).
        let Some(end) = Pages::CAPACITY
            .checked_mul(PS)
            .and_then(|span| W.checked_add(span))
        else {
            return;
        };
        assert_eq!(add(a, end, PS), Err(AllocError::InvalidParam));
        assert_eq!(add(a, end - PS, 2 * PS), Err(AllocError::InvalidParam));
        assert_eq!(a.alloc_pages_at(end, 1, PS), Err(AllocError::InvalidParam));
        assert_counts(a, 18, 0);
        // The last page of the window is fine.
        if Pages::CAPACITY * PS > SPAN {
            add(a, end - PS, PS).unwrap();
            assert_eq!(a.alloc_pages_at(end - PS, 1, PS), Ok(end - PS));
            assert_counts(a, 19, 1);
        }
    });
}

#[test]
fn regions_are_trimmed_to_whole_pages() {
    with_pages(|a| {
        // 0x123 bytes into a page, 3 pages long: pages 1 and 2 are whole.
        add(a, W + 0x123, 3 * PS).unwrap();
        assert_counts(a, 2, 0);
        assert_eq!(a.alloc_pages(2, PS), Ok(W + PS));
        assert_eq!(a.dealloc_pages(W, 1), Err(AllocError::InvalidParam));
        assert_eq!(
            a.alloc_pages_at(W + 3 * PS, 1, PS),
            Err(AllocError::InvalidParam)
        );
        assert_counts(a, 2, 2);
        // The trimmed edges may be added later: they overlap nothing.
        add(a, W, PS).unwrap();
        add(a, W + 3 * PS, PS).unwrap();
        assert_counts(a, 4, 2);
    });
}

#[test]
fn bad_regions_change_nothing() {
    with_pages(|a| {
        // Before any memory.
        assert_eq!(add(a, W, 0), Err(AllocError::InvalidParam));
        assert_eq!(
            add(a, usize::MAX - PS, 2 * PS),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            add(a, W + 1, PS),
            Err(AllocError::InvalidParam),
            "no whole page"
        );
        assert_eq!(
            add(a, W + 1, PS - 1),
            Err(AllocError::InvalidParam),
            "no whole page"
        );
        assert_eq!(add(a, usize::MAX - 10, 5), Err(AllocError::InvalidParam));
        // SAFETY: as in `add`.
        assert_eq!(unsafe { a.init(W, 0) }, Err(AllocError::InvalidParam));
        assert_counts(a, 0, 0);
        assert_eq!(a.window(), None, "a refused region fixes no window");

        two_regions(a);
        // `init` once there is memory.
        // SAFETY: as in `add`.
        let again = unsafe { a.init(W + 100 * PS, PS) };
        assert_eq!(again, Err(AllocError::InvalidParam));
        assert_counts(a, 32, 0);
        for (start, pages) in OVERLAPS {
            assert_eq!(
                add(a, W + start * PS, pages * PS),
                Err(AllocError::MemoryOverlap),
                "{start}+{pages}"
            );
        }
        // Touching at the edge, with an unaligned edge trimmed away, is no overlap.
        add(a, W + 32 * PS, PS - 1).unwrap_err();
        assert_counts(a, 32, 0);
        add(a, W + 8 * PS, 8 * PS + 0x800).unwrap();
        assert_counts(a, 40, 0);
        assert_eq!(
            a.alloc_pages_at(W + 8 * PS, 24, PS),
            Ok(W + 8 * PS),
            "merged with 16..32"
        );
        assert_counts(a, 40, 24);
    });
}

#[test]
fn single_region_edges() {
    with_pages(|a| {
        // One region (the free path's fast check), then two, then one again by merging.
        add(a, W + 16 * PS, 16 * PS).unwrap();
        let edges = |a: &mut Pages, lo: usize, hi: usize, used: usize| {
            for page in [lo - 1, hi, hi + 1, 0] {
                assert_eq!(
                    a.dealloc_pages(W + page * PS, 1),
                    Err(AllocError::InvalidParam)
                );
                assert_eq!(
                    a.alloc_pages_at(W + page * PS, 1, PS),
                    Err(AllocError::InvalidParam)
                );
            }
            assert_eq!(
                a.dealloc_pages(W + (hi - 1) * PS, 2),
                Err(AllocError::InvalidParam)
            );
            assert_eq!(a.used_pages(), used);
        };
        edges(a, 16, 32, 0);
        assert_eq!(a.alloc_pages_at(W + 31 * PS, 1, PS), Ok(W + 31 * PS));
        assert_eq!(a.alloc_pages_at(W + 16 * PS, 1, PS), Ok(W + 16 * PS));
        edges(a, 16, 32, 2);
        add(a, W + 40 * PS, 4 * PS).unwrap();
        edges(a, 40, 44, 2);
        add(a, W + 32 * PS, 8 * PS).unwrap();
        edges(a, 16, 44, 2);
        a.dealloc_pages(W + 31 * PS, 1).unwrap();
        a.dealloc_pages(W + 16 * PS, 1).unwrap();
        assert_eq!(
            a.dealloc_pages(W + 43 * PS, 1),
            Err(AllocError::NotAllocated)
        );
        assert_counts(a, 28, 0);
    });
}

#[test]
fn adjacent_regions_merge() {
    with_pages(|a| {
        two_regions(a);
        // Fill the hole: 16..64 becomes one region, so runs cross the old edges.
        add(a, W + 32 * PS, 16 * PS).unwrap();
        assert_counts(a, 48, 0);
        assert_eq!(a.alloc_pages_at(W + 30 * PS, 20, PS), Ok(W + 30 * PS));
        a.dealloc_pages(W + 30 * PS, 20).unwrap();
        assert_eq!(a.alloc_pages(48, PS), Ok(W + 16 * PS));
        assert_counts(a, 48, 48);
    });
}

#[test]
fn region_limit() {
    with_pages(|a| {
        // 32 separate regions: pages 0, 2, 4, ..., 62.
        for i in 0..32 {
            add(a, W + 2 * i * PS, PS).unwrap();
        }
        assert_counts(a, 32, 0);
        assert_eq!(add(a, W + 100 * PS, PS), Err(AllocError::NoMemory));
        assert_counts(a, 32, 0);
        // Adjacent to one, or bridging two: no new slot needed.
        add(a, W + 63 * PS, PS).unwrap();
        add(a, W + PS, PS).unwrap();
        assert_counts(a, 34, 0);
        // Bridging freed a slot.
        add(a, W + 100 * PS, PS).unwrap();
        assert_counts(a, 35, 0);
        assert_eq!(add(a, W + 102 * PS, PS), Err(AllocError::NoMemory));
        assert_eq!(a.alloc_pages(3, PS), Ok(W));
    });
}

#[test]
fn holes_are_never_handed_out_or_counted() {
    with_pages(|a| {
        two_regions(a);
        let mut got = Vec::new();
        while let Ok(addr) = a.alloc_pages(1, PS) {
            got.push(addr);
        }
        assert_eq!(got.len(), 32);
        let expected: Vec<usize> = (16..32).chain(48..64).map(|p| W + p * PS).collect();
        assert_eq!(got, expected);
        assert_counts(a, 32, 32);
        // Freeing a hole page is out of range, not a free.
        assert_eq!(
            a.dealloc_pages(W + 40 * PS, 1),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            a.dealloc_pages(W + 31 * PS, 2),
            Err(AllocError::InvalidParam)
        );
        assert_counts(a, 32, 32);
        for addr in got {
            a.dealloc_pages(addr, 1).unwrap();
        }
        // No run crosses the hole.
        assert_eq!(a.alloc_pages(17, PS), Err(AllocError::NoMemory));
        assert_eq!(a.alloc_pages(16, PS), Ok(W + 16 * PS));
        assert_eq!(a.alloc_pages(16, PS), Ok(W + 48 * PS));
        assert_counts(a, 32, 32);
    });
}

#[test]
fn aligned_runs_skip_holes_and_taken_pages() {
    with_pages(|a| {
        two_regions(a);
        // 16-page alignment: pages 16 and 48 qualify; 32 and 0 are holes.
        assert_eq!(a.alloc_pages(1, 16 * PS), Ok(W + 16 * PS));
        assert_eq!(a.alloc_pages(2, 16 * PS), Ok(W + 48 * PS));
        assert_eq!(a.alloc_pages(1, 16 * PS), Err(AllocError::NoMemory));
        assert_eq!(a.alloc_pages(4, 4 * PS), Ok(W + 20 * PS));
        assert_eq!(a.alloc_pages(1, 2 * PS), Ok(W + 18 * PS));
        assert_eq!(a.alloc_pages(1, PS), Ok(W + 17 * PS));
        assert_counts(a, 32, 9);
        // 64 KiB alignment bigger than the run: 32-page alignment fits nothing (0 and 32 are
        // holes, 64 is out).
        assert_eq!(a.alloc_pages(1, 32 * PS), Err(AllocError::NoMemory));
        assert_counts(a, 32, 9);
        // 1 GiB alignment: the window start (2 GiB) is a multiple but not in a region.
        assert_eq!(a.alloc_pages(1, 1 << 30), Err(AllocError::NoMemory));
        add(a, W, PS).unwrap();
        assert_eq!(a.alloc_pages(1, 1 << 30), Ok(W));
        assert_counts(a, 33, 10);
    });
}

#[test]
fn bad_alignments_change_nothing() {
    with_pages(|a| {
        two_regions(a);
        for align in [
            0,
            1,
            PS / 2,
            3 * PS,
            PS + 1,
            2 << 30,
            1 << 31,
            usize::MAX,
            1 << (usize::BITS - 1),
        ] {
            assert_eq!(
                a.alloc_pages(1, align),
                Err(AllocError::InvalidParam),
                "{align:#x}"
            );
            assert_eq!(
                a.alloc_pages_at(W + 16 * PS, 1, align),
                Err(AllocError::InvalidParam),
                "{align:#x}"
            );
        }
        assert_eq!(a.alloc_pages(0, PS), Err(AllocError::InvalidParam));
        assert_eq!(
            a.alloc_pages_at(W + 16 * PS, 0, PS),
            Err(AllocError::InvalidParam)
        );
        assert_counts(a, 32, 0);
        assert_eq!(
            a.alloc_pages(1, 1 << 30),
            Err(AllocError::NoMemory),
            "1 GiB is allowed"
        );
        assert_eq!(a.alloc_pages(1, PS), Ok(W + 16 * PS));
    });
}

#[test]
fn too_many_pages_fail_at_once() {
    with_pages(|a| {
        two_regions(a);
        a.alloc_pages(5, PS).unwrap();
        assert_eq!(a.alloc_pages(28, PS), Err(AllocError::NoMemory));
        assert_eq!(a.alloc_pages(usize::MAX, PS), Err(AllocError::NoMemory));
        assert_eq!(
            a.alloc_pages(Pages::CAPACITY + 1, PS),
            Err(AllocError::NoMemory)
        );
        assert_eq!(a.alloc_pages_at(W + 48 * PS, 16, PS), Ok(W + 48 * PS));
        assert_eq!(
            a.alloc_pages_at(W + 21 * PS, 12, PS),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(a.alloc_pages_at(W + 21 * PS, 11, PS), Ok(W + 21 * PS));
        assert_counts(a, 32, 32);
        assert_eq!(a.alloc_pages(1, PS), Err(AllocError::NoMemory));
    });
}

#[test]
fn alloc_at_errors_change_nothing() {
    with_pages(|a| {
        two_regions(a);
        a.alloc_pages_at(W + 20 * PS, 2, PS).unwrap();
        assert_counts(a, 32, 2);
        let bad = [
            // Not a multiple of the alignment (or of a page).
            (W + 16 * PS + 1, 1, PS, AllocError::InvalidParam),
            (W + 17 * PS, 1, 2 * PS, AllocError::InvalidParam),
            // In a hole, crossing a region's end, below the window (the original underflowed),
            // past the window, at the top of the address space.
            (W + 40 * PS, 1, PS, AllocError::InvalidParam),
            (W + 30 * PS, 3, PS, AllocError::InvalidParam),
            (W + 60 * PS, 8, PS, AllocError::InvalidParam),
            (0, 1, PS, AllocError::InvalidParam),
            (W - PS, 1, PS, AllocError::InvalidParam),
            (W + SPAN, 1, PS, AllocError::InvalidParam),
            (usize::MAX & !(PS - 1), 1, PS, AllocError::InvalidParam),
            (W + 16 * PS, usize::MAX, PS, AllocError::InvalidParam),
            // Taken, wholly or in part.
            (W + 20 * PS, 1, PS, AllocError::NoMemory),
            (W + 21 * PS, 1, PS, AllocError::NoMemory),
            (W + 18 * PS, 4, 2 * PS, AllocError::NoMemory),
            (W + 16 * PS, 16, 16 * PS, AllocError::NoMemory),
        ];
        for (base, num, align, err) in bad {
            assert_eq!(
                a.alloc_pages_at(base, num, align),
                Err(err),
                "{base:#x}+{num}"
            );
            assert_counts(a, 32, 2);
        }
        // Pages next to a failed run are still free.
        assert_eq!(a.alloc_pages_at(W + 18 * PS, 2, 2 * PS), Ok(W + 18 * PS));
        assert_eq!(a.alloc_pages_at(W + 22 * PS, 10, 2 * PS), Ok(W + 22 * PS));
        assert_eq!(a.alloc_pages_at(W + 63 * PS, 1, PS), Ok(W + 63 * PS));
        assert_counts(a, 32, 15);
    });
}

#[test]
fn dealloc_errors_free_nothing() {
    with_pages(|a| {
        two_regions(a);
        a.alloc_pages_at(W + 20 * PS, 4, PS).unwrap();
        assert_counts(a, 32, 4);
        let bad = [
            // Not allocated: wholly, or at either end of an allocated run.
            (W + 16 * PS, 1, AllocError::NotAllocated),
            (W + 24 * PS, 1, AllocError::NotAllocated),
            (W + 19 * PS, 5, AllocError::NotAllocated),
            (W + 20 * PS, 5, AllocError::NotAllocated),
            (W + 16 * PS, 16, AllocError::NotAllocated),
            // Bad runs.
            (W + 20 * PS, 0, AllocError::InvalidParam),
            (W + 20 * PS + 8, 1, AllocError::InvalidParam),
            (W + 20 * PS, usize::MAX, AllocError::InvalidParam),
            (W + 20 * PS, 13, AllocError::InvalidParam),
            (W + 40 * PS, 1, AllocError::InvalidParam),
            (W - PS, 1, AllocError::InvalidParam),
            (0, 1, AllocError::InvalidParam),
            (usize::MAX & !(PS - 1), 1, AllocError::InvalidParam),
        ];
        for (pos, num, err) in bad {
            assert_eq!(a.dealloc_pages(pos, num), Err(err), "{pos:#x}+{num}");
            assert_counts(a, 32, 4);
            // Still allocated, every page.
            for p in 20..24 {
                assert_eq!(
                    a.alloc_pages_at(W + p * PS, 1, PS),
                    Err(AllocError::NoMemory)
                );
            }
        }
        // Partial frees of a run are fine.
        a.dealloc_pages(W + 21 * PS, 2).unwrap();
        assert_counts(a, 32, 2);
        assert_eq!(
            a.dealloc_pages(W + 20 * PS, 2),
            Err(AllocError::NotAllocated)
        );
        a.dealloc_pages(W + 20 * PS, 1).unwrap();
        a.dealloc_pages(W + 23 * PS, 1).unwrap();
        assert_counts(a, 32, 0);
        // A double free.
        assert_eq!(
            a.dealloc_pages(W + 23 * PS, 1),
            Err(AllocError::NotAllocated)
        );
        assert_counts(a, 32, 0);
        assert_eq!(a.alloc_pages(16, PS), Ok(W + 16 * PS));
    });
}

#[test]
fn unaligned_single_frees_change_nothing() {
    with_pages(|a| {
        // One region (the free path's fast check), then two (the search): every page of
        // 16..32 allocated, each freed at offsets inside it, at the top bits, and beside it.
        add(a, W + 16 * PS, 16 * PS).unwrap();
        for regions in [1, 2] {
            if regions == 2 {
                add(a, W + 48 * PS, 16 * PS).unwrap();
            }
            let total = 16 * regions;
            assert_eq!(a.alloc_pages_at(W + 16 * PS, 16, PS), Ok(W + 16 * PS));
            for page in 15..=32 {
                let pos = W + page * PS;
                for offset in [1, 8, PS / 2, PS - 1, 1 << 63, (1 << 63) | 1, !(PS - 1) | 1] {
                    let bad = pos.wrapping_add(offset);
                    assert_eq!(
                        a.dealloc_pages(bad, 1),
                        Err(AllocError::InvalidParam),
                        "{bad:#x}"
                    );
                    assert_counts(a, total, 16);
                }
            }
            for bad in [1, PS - 1, PS + 1, usize::MAX, usize::MAX - PS, 1 << 63] {
                assert_eq!(
                    a.dealloc_pages(bad, 1),
                    Err(AllocError::InvalidParam),
                    "{bad:#x}"
                );
            }
            assert_counts(a, total, 16);
            for page in 16..32 {
                a.dealloc_pages(W + page * PS, 1).unwrap();
            }
            assert_counts(a, total, 0);
        }
    });
}

#[test]
fn other_page_sizes() {
    fn run<const P: usize>() {
        std::thread::Builder::new()
            .stack_size(4 * size_of::<BitmapPageAllocator<P>>() + (1 << 20))
            .spawn(|| {
                let mut a = BitmapPageAllocator::<P>::new();
                // SAFETY: the allocator never touches the memory.
                unsafe { a.init(W + P / 2, 10 * P) }.unwrap();
                assert_eq!(a.total_pages(), 9);
                assert_eq!(a.alloc_pages(2, 2 * P), Ok(W + 2 * P));
                assert_eq!(a.alloc_pages(1, P), Ok(W + P));
                assert_eq!(a.alloc_pages(1, P / 2), Err(AllocError::InvalidParam));
                assert_eq!(
                    a.dealloc_pages(W + 2 * P + P / 2, 1),
                    Err(AllocError::InvalidParam)
                );
                a.dealloc_pages(W + 2 * P, 2).unwrap();
                assert_eq!(a.used_pages(), 1);
            })
            .unwrap()
            .join()
            .unwrap();
    }
    run::<0x200>();
    run::<0x1_0000>();
    run::<0x20_0000>();
}
