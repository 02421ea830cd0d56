//! The contract cases for byte allocators: every error path, size 0, alignments, exhaustion,
//! several regions.

use core::{alloc::Layout, ops::DerefMut, ptr::NonNull};

use allocator_core::{AllocError, ByteAllocator};

use super::{ByteConfig, ByteModel};
use crate::{
    common::{expect_err, expect_ok, expect_unchanged},
    failure::{CheckResult, Failure, ensure},
    memory::HostRegion,
};

const PAGE: usize = 4096;
const HOLE_BYTE: u8 = 0xa5;

type Stats = (usize, usize);

fn stats<A: ByteAllocator + ?Sized>(a: &A) -> Stats {
    (a.total_bytes(), a.used_bytes())
}

pub(super) fn run<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    init_errors(new, config)?;
    overlap(new, config)?;
    holes(new, config)?;
    zero_size(new, config)?;
    alignment(new, config)?;
    oversize(new, config)?;
    realloc(new, config)?;
    exhaustion(new, config)
}

/// Gives `a` the region `[start, start + size)` with `init`, which must succeed, and records it.
///
/// # Safety
///
/// The region is the caller's memory, valid for reads and writes while `a` is used.
unsafe fn init<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    start: usize,
    size: usize,
) -> CheckResult {
    // SAFETY: the caller's contract.
    expect_ok(check, "init of a fresh allocator", unsafe {
        a.init(start, size)
    })?;
    model.add_region(start, size);
    let (total, used) = stats(a);
    ensure(
        total > 0 && total <= size && used <= total,
        check,
        "total-bounds",
        || format!("after init with {size} bytes: total_bytes = {total}, used_bytes = {used}"),
    )
}

/// Allocates `layout`, which must succeed, and records the block.
fn alloc_ok<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    layout: Layout,
) -> CheckResult<NonNull<u8>> {
    let ptr = expect_ok(check, &format!("alloc({layout:?})"), a.alloc(layout))?;
    // SAFETY: the model's regions are memory the contract cases own and gave to `a`.
    unsafe { model.insert(ptr, layout) }.map_err(|f| f.within(check))?;
    model
        .check_stats(a.used_bytes(), a.total_bytes())
        .map_err(|f| f.within(check))?;
    Ok(ptr)
}

/// Checks and frees the live block at `ptr`.
fn free<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    ptr: NonNull<u8>,
) -> CheckResult {
    // SAFETY: as in `alloc_ok`.
    let layout = unsafe { model.remove(ptr) }.map_err(|f| f.within(check))?;
    // SAFETY: `ptr` came from `a` with `layout` and the model has forgotten it: freed once.
    unsafe { a.dealloc(ptr, layout) };
    model
        .check_stats(a.used_bytes(), a.total_bytes())
        .map_err(|f| f.within(check))
}

/// Frees every live block, then checks `used_bytes` is `start_used` again.
fn free_all<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    start_used: usize,
) -> CheckResult {
    while let Some((ptr, _)) = model.pick(0) {
        free(a, model, check, ptr)?;
    }
    let used = a.used_bytes();
    ensure(used == start_used, check, "not-restored", || {
        format!("after freeing every block used_bytes is {used}, not {start_used}")
    })
}

/// A later request still works: allocate, check and free a small block.
fn still_works<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
) -> CheckResult {
    let ptr = alloc_ok(
        a,
        model,
        check,
        Layout::from_size_align(64, 8).expect("valid"),
    )
    .map_err(|f| f.context("a request after the error"))?;
    free(a, model, check, ptr)
}

fn init_errors<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    let small = config.small_region_size;
    let region = HostRegion::new(2 * small, config.region_align);
    let (first, second) = (region.start(), region.start() + small);
    let top = usize::MAX - PAGE + 1;
    let mut a = new();
    let mut model = ByteModel::new();
    let empty = stats(&*a);

    // SAFETY: (every call in this block) a size of 0 or an overflowing range hands over no
    // memory; a correct allocator refuses it without touching anything.
    unsafe {
        expect_err(
            "contract/init-zero-size",
            "init(start, 0)",
            a.init(first, 0),
            &[AllocError::InvalidParam],
        )?;
        expect_unchanged(
            "contract/init-zero-size",
            "init(start, 0)",
            empty,
            stats(&*a),
        )?;
        expect_err(
            "contract/init-overflow",
            "init(usize::MAX - 4095, 8192)",
            a.init(top, 2 * PAGE),
            &[AllocError::InvalidParam],
        )?;
        expect_err(
            "contract/init-overflow",
            "init(start, usize::MAX)",
            a.init(first, usize::MAX),
            &[AllocError::InvalidParam],
        )?;
        expect_unchanged(
            "contract/init-overflow",
            "init with an overflowing end",
            empty,
            stats(&*a),
        )?;
        expect_err(
            "contract/add-memory-zero-size",
            "add_memory(start, 0) on an empty allocator",
            a.add_memory(first, 0),
            &[AllocError::InvalidParam],
        )?;
        expect_err(
            "contract/add-memory-overflow",
            "add_memory(usize::MAX - 4095, 8192) on an empty allocator",
            a.add_memory(top, 2 * PAGE),
            &[AllocError::InvalidParam],
        )?;
        expect_unchanged(
            "contract/add-memory-overflow",
            "add_memory with bad regions",
            empty,
            stats(&*a),
        )?;
    }
    // The failed calls left an allocator that a valid `init` still sets up.
    // SAFETY: `[first, first + small)` lies in `region`, which outlives `a`.
    unsafe {
        init(
            &mut *a,
            &mut model,
            "contract/init-after-errors",
            first,
            small,
        )?
    };
    let live = alloc_ok(
        &mut *a,
        &mut model,
        "contract/init-twice",
        Layout::from_size_align(100, 8).expect("valid"),
    )?;
    let before = stats(&*a);
    // SAFETY: the second half of `region` is ours and outlives `a`; a correct allocator refuses
    // it (it already has memory) and leaves it to us.
    let twice = unsafe { a.init(second, small) };
    expect_err(
        "contract/init-twice",
        "a second init",
        twice,
        &[AllocError::InvalidParam],
    )?;
    expect_unchanged("contract/init-twice", "a second init", before, stats(&*a))?;
    still_works(&mut *a, &mut model, "contract/init-twice")?;
    // SAFETY: as for the model's regions.
    unsafe { model.check(live) }.map_err(|f| f.within("contract/init-twice"))?;

    // SAFETY: (every call in this block) as above, nothing is handed over.
    unsafe {
        expect_err(
            "contract/add-memory-zero-size",
            "add_memory(start, 0)",
            a.add_memory(second, 0),
            &[AllocError::InvalidParam],
        )?;
        expect_err(
            "contract/add-memory-overflow",
            "add_memory(usize::MAX - 4095, 8192)",
            a.add_memory(top, 2 * PAGE),
            &[AllocError::InvalidParam],
        )?;
        expect_err(
            "contract/add-memory-overflow",
            "add_memory(start, usize::MAX)",
            a.add_memory(second, usize::MAX),
            &[AllocError::InvalidParam],
        )?;
    }
    expect_unchanged(
        "contract/add-memory-overflow",
        "add_memory with bad regions",
        before,
        stats(&*a),
    )?;
    still_works(&mut *a, &mut model, "contract/add-memory-overflow")?;
    // The refused second half is still ours to add.
    // SAFETY: the second half of `region` is ours, outlives `a`, and was refused above.
    let got = unsafe { a.add_memory(second, small) };
    expect_ok(
        "contract/init-twice",
        "add_memory of the region a second init refused",
        got,
    )?;
    model.add_region(second, small);
    ensure(
        a.total_bytes() > before.0,
        "contract/init-twice",
        "total-bounds",
        || format!("add_memory did not grow total_bytes beyond {}", before.0),
    )?;
    free(&mut *a, &mut model, "contract/init-twice", live)?;
    free_all(&mut *a, &mut model, "contract/init-twice", 0)?;

    // `add_memory` on an empty allocator behaves as `init`.
    let mut b = new();
    let mut model = ByteModel::new();
    // SAFETY: the first half of `region` is ours and outlives `b`.
    let got = unsafe { b.add_memory(first, small) };
    expect_ok(
        "contract/add-memory-first",
        "add_memory on an empty allocator",
        got,
    )?;
    model.add_region(first, small);
    still_works(&mut *b, &mut model, "contract/add-memory-first")?;
    // SAFETY: the second half is ours; a correct allocator refuses `init` now.
    let twice = unsafe { b.init(second, small) };
    expect_err(
        "contract/init-twice",
        "init after add_memory",
        twice,
        &[AllocError::InvalidParam],
    )
}

fn overlap<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/add-memory-overlap";
    let q = config.small_region_size / 2;
    let region = HostRegion::new(4 * q, config.region_align);
    let base = region.start();
    let mut a = new();
    let mut model = ByteModel::new();
    // SAFETY: `[base + q, base + 2q)` lies in `region`, which outlives `a`.
    unsafe { init(&mut *a, &mut model, CHECK, base + q, q)? };
    let live = alloc_ok(
        &mut *a,
        &mut model,
        CHECK,
        Layout::from_size_align(300, 16).expect("valid"),
    )?;
    let before = stats(&*a);
    let overlapping = [
        (base + q, q, "the same region"),
        (base + q / 2, q, "a region overlapping its start"),
        (base + q + q / 2, q, "a region overlapping its end"),
        (base + q + q / 4, q / 2, "a region inside it"),
        (base, 4 * q, "a region containing it"),
    ];
    for (start, size, what) in overlapping {
        // SAFETY: the range lies in `region`; a correct allocator refuses it untouched.
        let got = unsafe { a.add_memory(start, size) };
        expect_err(
            CHECK,
            &format!("add_memory of {what}"),
            got,
            &[AllocError::MemoryOverlap],
        )?;
        expect_unchanged(CHECK, &format!("add_memory of {what}"), before, stats(&*a))?;
        // SAFETY: as for the model's regions.
        unsafe { model.check(live) }.map_err(|f| f.within(CHECK))?;
    }
    still_works(&mut *a, &mut model, CHECK)?;
    // Touching regions do not overlap; a hole stays between 2q and 3q.
    region.fill(2 * q, q, HOLE_BYTE);
    for (start, what) in [
        (base, "the region just below it"),
        (base + 3 * q, "a region after a hole"),
    ] {
        let total = a.total_bytes();
        // SAFETY: the range lies in `region`, is not yet given, and outlives `a`.
        expect_ok(CHECK, &format!("add_memory of {what}"), unsafe {
            a.add_memory(start, q)
        })?;
        model.add_region(start, q);
        let grown = a.total_bytes();
        ensure(
            grown > total && grown <= total + q,
            CHECK,
            "total-bounds",
            || format!("add_memory of {q} bytes moved total_bytes from {total} to {grown}"),
        )?;
    }
    // SAFETY: the range lies in `region`; a correct allocator refuses it untouched.
    let got = unsafe { a.add_memory(base + 3 * q - PAGE, 2 * PAGE) };
    expect_err(
        CHECK,
        "add_memory of a region overlapping the last one",
        got,
        &[AllocError::MemoryOverlap],
    )?;
    fill_and_empty(
        &mut *a,
        &mut model,
        CHECK,
        Layout::from_size_align(2048, 8).expect("valid"),
        0,
    )?;
    ensure(
        region.find_not(2 * q, q, HOLE_BYTE).is_none(),
        CHECK,
        "hole-written",
        || {
            format!(
                "the allocator wrote into the hole at offset {:?}",
                region.find_not(2 * q, q, HOLE_BYTE)
            )
        },
    )
}

/// Allocates `layout` until `NoMemory` (every block checked by the model), then frees all;
/// returns how many blocks fit.
fn fill_and_empty<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    layout: Layout,
    start_used: usize,
) -> CheckResult<usize> {
    let n = exhaust(a, model, check, layout)?;
    free_all(a, model, check, start_used)?;
    Ok(n)
}

/// Allocates `layout` until `NoMemory`; returns how many blocks fit.
fn exhaust<A: ByteAllocator + ?Sized>(
    a: &mut A,
    model: &mut ByteModel,
    check: &str,
    layout: Layout,
) -> CheckResult<usize> {
    let limit = a.total_bytes() / layout.size().max(1) + 2;
    let mut n = 0;
    loop {
        let before = stats(a);
        match a.alloc(layout) {
            Ok(ptr) => {
                // SAFETY: as in `alloc_ok`.
                unsafe { model.insert(ptr, layout) }.map_err(|f| f.within(check))?;
                model
                    .check_stats(a.used_bytes(), a.total_bytes())
                    .map_err(|f| f.within(check))?;
                n += 1;
                ensure(n <= limit, check, "never-exhausted", || {
                    format!("{n} blocks of {layout:?} fit in total_bytes = {}", before.0)
                })?;
            }
            Err(AllocError::NoMemory) => {
                expect_unchanged(
                    check,
                    &format!("alloc({layout:?}) with NoMemory"),
                    before,
                    stats(a),
                )?;
                return Ok(n);
            }
            Err(e) => {
                return Err(Failure::new(
                    "wrong-result",
                    format!("alloc({layout:?}) failed with {e:?}, not NoMemory"),
                )
                .within(check));
            }
        }
    }
}

fn holes<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/regions-with-holes";
    let u = config.small_region_size / 4;
    let region = HostRegion::new(8 * u, config.region_align);
    region.fill(0, 8 * u, HOLE_BYTE);
    // Regions at units 5..7, 1..2, 3..4, given in this order; holes at 0, 2, 4 and 7.
    let parts = [(5 * u, 2 * u), (u, u), (3 * u, u)];
    let mut a = new();
    let mut model = ByteModel::new();
    let mut given = 0;
    for (i, &(offset, size)) in parts.iter().enumerate() {
        let total = a.total_bytes();
        // SAFETY: the part lies in `region`, is given once, and `region` outlives `a`.
        let got = unsafe {
            if i == 0 {
                a.init(region.start() + offset, size)
            } else {
                a.add_memory(region.start() + offset, size)
            }
        };
        expect_ok(CHECK, &format!("adding region {i}"), got)?;
        model.add_region(region.start() + offset, size);
        given += size;
        let grown = a.total_bytes();
        ensure(
            grown > total && grown <= given,
            CHECK,
            "total-bounds",
            || {
                format!(
                    "after adding {given} bytes in {} regions total_bytes moved from {total} to {grown}",
                    i + 1
                )
            },
        )?;
    }
    let layouts = if cfg!(miri) {
        [(4096, 8), (1000, 16), (u / 4, 4096), (300, 8)]
    } else {
        [(4096, 8), (200, 16), (u / 4, 4096), (24, 8)]
    };
    for layout in layouts {
        let layout = Layout::from_size_align(layout.0, layout.1).expect("valid");
        exhaust(&mut *a, &mut model, CHECK, layout)?;
    }
    free_all(&mut *a, &mut model, CHECK, 0)?;
    for (offset, size) in [(0, u), (2 * u, u), (4 * u, u), (7 * u, u)] {
        ensure(
            region.find_not(offset, size, HOLE_BYTE).is_none(),
            CHECK,
            "hole-written",
            || {
                format!(
                    "the allocator wrote into the hole at offset {:?}",
                    region.find_not(offset, size, HOLE_BYTE)
                )
            },
        )?;
    }
    Ok(())
}

fn fresh<A, H>(
    new: &mut impl FnMut() -> H,
    region: &HostRegion,
    check: &str,
) -> CheckResult<(H, ByteModel)>
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    let mut a = new();
    let mut model = ByteModel::new();
    // SAFETY: `region` is the caller's and outlives the returned allocator (callers declare
    // the region first).
    unsafe { init(&mut *a, &mut model, check, region.start(), region.size())? };
    Ok((a, model))
}

fn zero_size<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/zero-size";
    let region = HostRegion::new(config.small_region_size, config.region_align);
    let (mut a, mut model) = fresh(new, &region, CHECK)?;
    let start = a.used_bytes();
    let n = if cfg!(miri) { 16 } else { 64 };
    for i in 0..n {
        alloc_ok(
            &mut *a,
            &mut model,
            CHECK,
            Layout::from_size_align(0, 1 << (i % 8)).expect("valid"),
        )?;
        if i % 4 == 0 {
            alloc_ok(
                &mut *a,
                &mut model,
                CHECK,
                Layout::from_size_align(i, 8).expect("valid"),
            )?;
        }
    }
    for i in 0..n {
        if let Some((ptr, _)) = model.pick(i) {
            free(&mut *a, &mut model, CHECK, ptr)?;
        }
    }
    for _ in 0..n / 2 {
        alloc_ok(
            &mut *a,
            &mut model,
            CHECK,
            Layout::from_size_align(0, 1).expect("valid"),
        )?;
    }
    free_all(&mut *a, &mut model, CHECK, start)
}

fn alignment<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/alignment";
    let region = HostRegion::new(config.region_size, config.region_align);
    let (mut a, mut model) = fresh(new, &region, CHECK)?;
    let start = a.used_bytes();
    let sizes: &[usize] = if cfg!(miri) {
        &[0, 1, 24, 4097]
    } else {
        &[0, 1, 8, 24, 100, 4096, 4097, 65536]
    };
    let mut align = 1;
    while align <= config.max_checked_align {
        for &size in sizes {
            alloc_ok(
                &mut *a,
                &mut model,
                CHECK,
                Layout::from_size_align(size, align).expect("valid"),
            )?;
        }
        free_all(&mut *a, &mut model, CHECK, start)?;
        align *= 2;
    }
    // Beyond: refused or honoured, never misaligned.
    const BEYOND: &str = "contract/alignment-beyond";
    let mut align = config.max_checked_align.saturating_mul(2);
    while align != 0 && align <= 1 << (usize::BITS - 2) {
        let layout = Layout::from_size_align(8, align).expect("valid");
        let before = stats(&*a);
        match a.alloc(layout) {
            Ok(ptr) => {
                // SAFETY: as in `alloc_ok`.
                unsafe { model.insert(ptr, layout) }.map_err(|f| f.within(BEYOND))?;
                free(&mut *a, &mut model, BEYOND, ptr)?;
            }
            Err(AllocError::InvalidParam | AllocError::NoMemory) => {
                expect_unchanged(BEYOND, &format!("alloc({layout:?})"), before, stats(&*a))?;
            }
            Err(e) => {
                return Err(
                    Failure::new("wrong-result", format!("alloc({layout:?}) gave {e:?}"))
                        .within(BEYOND),
                );
            }
        }
        align = align.saturating_mul(16);
    }
    still_works(&mut *a, &mut model, BEYOND)
}

fn oversize<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/oversize";
    let region = HostRegion::new(config.small_region_size, config.region_align);
    let (mut a, mut model) = fresh(new, &region, CHECK)?;
    let start = a.used_bytes();
    let live = alloc_ok(
        &mut *a,
        &mut model,
        CHECK,
        Layout::from_size_align(64, 8).expect("valid"),
    )?;
    let before = stats(&*a);
    let max = isize::MAX as usize;
    let twice = Layout::from_size_align(before.0.saturating_mul(2), 8).expect("valid");
    expect_err(
        CHECK,
        &format!("alloc({twice:?}), twice total_bytes"),
        a.alloc(twice),
        &[AllocError::NoMemory],
    )?;
    for (size, align) in [
        (max, 1),
        (max - 7, 8),
        (max - 4095, 4096),
        (max / 2 + 1, 1 << 20),
    ] {
        let layout = Layout::from_size_align(size, align).expect("valid");
        let got = a.alloc(layout);
        expect_err(
            CHECK,
            &format!("alloc({layout:?})"),
            got,
            &[AllocError::InvalidParam, AllocError::NoMemory],
        )?;
    }
    expect_unchanged(CHECK, "alloc of an oversized layout", before, stats(&*a))?;
    still_works(&mut *a, &mut model, CHECK)?;

    const REALLOC: &str = "contract/realloc-oversize";
    let old = model.layout_of(live).expect("live");
    for (new_size, want) in [
        (usize::MAX, &[AllocError::InvalidParam][..]),
        (max - 6, &[AllocError::InvalidParam][..]),
        (before.0.saturating_mul(2), &[AllocError::NoMemory][..]),
    ] {
        // SAFETY: `live` is a live block of `a` with layout `old`; on error it stays live.
        let got = unsafe { a.realloc(live, old, new_size) };
        expect_err(
            REALLOC,
            &format!("realloc of a {old:?} block to {new_size} bytes"),
            got,
            want,
        )?;
        expect_unchanged(
            REALLOC,
            "realloc of an oversized layout",
            before,
            stats(&*a),
        )?;
        // SAFETY: as for the model's regions.
        unsafe { model.check(live) }
            .map_err(|f| f.within(REALLOC).context("after a failed realloc"))?;
    }
    still_works(&mut *a, &mut model, REALLOC)?;
    free_all(&mut *a, &mut model, REALLOC, start)
}

fn realloc<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/realloc";
    let region = HostRegion::new(config.small_region_size, config.region_align);
    let (mut a, mut model) = fresh(new, &region, CHECK)?;
    let start = a.used_bytes();
    let steps: &[usize] = &[100, 100, 5000, 4096 * 4 + 3, 10, 0, 33, 3000, 2999, 64];
    for align in [1, 8, 64, 4096] {
        let neighbour = alloc_ok(
            &mut *a,
            &mut model,
            CHECK,
            Layout::from_size_align(48, 8).expect("valid"),
        )?;
        let mut ptr = alloc_ok(
            &mut *a,
            &mut model,
            CHECK,
            Layout::from_size_align(64, align).expect("valid"),
        )?;
        for &size in steps {
            let old = model.layout_of(ptr).expect("live");
            // SAFETY: `ptr` is a live block of `a` with layout `old`.
            let got = unsafe { a.realloc(ptr, old, size) };
            let new = expect_ok(CHECK, &format!("realloc of {old:?} to {size}"), got)?;
            // SAFETY: as for the model's regions; `new` came from realloc of `ptr`.
            unsafe { model.resized(ptr, new, size) }.map_err(|f| f.within(CHECK))?;
            model
                .check_stats(a.used_bytes(), a.total_bytes())
                .map_err(|f| f.within(CHECK))?;
            ptr = new;
        }
        // SAFETY: as for the model's regions.
        unsafe { model.check(neighbour) }.map_err(|f| f.within(CHECK))?;
    }
    free_all(&mut *a, &mut model, CHECK, start)
}

fn exhaustion<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    const CHECK: &str = "contract/exhaustion";
    let small = config.small_region_size;
    let region = HostRegion::new(small, config.region_align);
    let (mut a, mut model) = fresh(new, &region, CHECK)?;
    let start = a.used_bytes();
    let big = Layout::from_size_align(small / 16, 8).expect("valid");
    let mini = Layout::from_size_align(if cfg!(miri) { 1024 } else { 64 }, 8).expect("valid");
    let page = Layout::from_size_align(4096, 4096).expect("valid");
    let mut seen: Vec<(Layout, usize)> = Vec::new();
    for layout in [big, mini, page, big, mini] {
        let n = exhaust(&mut *a, &mut model, CHECK, layout)?;
        ensure(n > 0, CHECK, "never-fits", || {
            format!("not one block of {layout:?} fits in a fresh {small} byte region")
        })?;
        // Recovery: free the last block, and the same request succeeds again.
        let (last, _) = model.pick(model.live_count() - 1).expect("n > 0");
        free(&mut *a, &mut model, CHECK, last)?;
        alloc_ok(&mut *a, &mut model, CHECK, layout)
            .map_err(|f| f.context("the same request after a free"))?;
        free_all(&mut *a, &mut model, CHECK, start)?;
        if let Some(&(_, before)) = seen.iter().find(|(l, _)| *l == layout) {
            ensure(n >= before, CHECK, "memory-lost", || {
                format!(
                    "{before} blocks of {layout:?} fitted at first, only {n} after other requests were freed"
                )
            })?;
        } else {
            seen.push((layout, n));
        }
    }
    Ok(())
}
