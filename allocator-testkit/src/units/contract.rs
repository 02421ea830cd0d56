//! The contract cases of page and ID allocators, as scripts of operations whose every answer
//! and count the exact model judges.

use allocator_core::AllocError::{InvalidParam, MemoryOverlap, NoMemory, NotAllocated};

use super::{Setup, UnitModel, UnitOp, UnitRunner, runner::Target};
use crate::failure::{CheckResult, ensure};

pub(crate) fn run<T: Target>(new: &mut impl FnMut() -> T, s: &Setup) -> CheckResult {
    region_errors(new, s)?;
    bad_arguments(new, s)?;
    alignment_and_exhaustion(new, s)
}

// The operations by short names, so that each step of a script fits on one line.

fn init(start: usize, size: usize) -> UnitOp {
    UnitOp::Init { start, size }
}

fn add(start: usize, size: usize) -> UnitOp {
    UnitOp::AddMemory { start, size }
}

fn alloc(count: usize, align: usize) -> UnitOp {
    UnitOp::Alloc { count, align }
}

fn alloc_at(at: usize, count: usize, align: usize) -> UnitOp {
    UnitOp::AllocAt { at, count, align }
}

fn dealloc(at: usize, count: usize) -> UnitOp {
    UnitOp::Dealloc { at, count }
}

fn runner<T: Target>(new: &mut impl FnMut() -> T, s: &Setup) -> UnitRunner<T> {
    let model = UnitModel::new(s.base, s.scale, s.contract_units(), s.max_align);
    UnitRunner::new(new(), model, None)
}

fn region_errors<T: Target>(new: &mut impl FnMut() -> T, s: &Setup) -> CheckResult {
    let (base, scale) = (s.base, s.scale);
    let q = s.quarter();
    let top = usize::MAX & !(scale - 1);
    let mut r = runner(new, s);
    r.case("contract/init-zero-size");
    r.expect_op(init(base, 0), Err(InvalidParam))?;
    r.expect_op(add(base, 0), Err(InvalidParam))?;
    r.case("contract/init-overflow");
    r.expect_op(init(top, 2 * scale), Err(InvalidParam))?;
    r.expect_op(init(base, usize::MAX), Err(InvalidParam))?;
    r.expect_op(add(top, 2 * scale), Err(InvalidParam))?;
    if scale > 1 {
        r.case("contract/init-nothing-usable");
        r.expect_op(init(base + 1, scale), Err(InvalidParam))?;
    }
    r.case("contract/init-after-errors");
    r.expect_op(init(base + q, q), Ok(0))?;
    let got = r.apply(alloc(1, scale))?;
    ensure(
        got.is_ok(),
        "contract/init-after-errors",
        "wrong-result",
        || format!("alloc after init gave {got:?}"),
    )?;
    r.free_all()?;

    r.case("contract/init-twice");
    r.expect_op(init(base + 3 * q, q), Err(InvalidParam))?;
    r.case("contract/add-memory-zero-size");
    r.expect_op(add(base, 0), Err(InvalidParam))?;
    r.case("contract/add-memory-overflow");
    r.expect_op(add(top, 2 * scale), Err(InvalidParam))?;
    r.expect_op(add(base, usize::MAX), Err(InvalidParam))?;
    r.case("contract/add-memory-overlap");
    for (start, size) in [
        (base + q, q),
        (base + q / 2, q),
        (base + q + q / 2, q),
        (base + q + scale, scale),
        (base, 4 * q),
    ] {
        r.expect_op(add(start, size), Err(MemoryOverlap))?;
    }
    r.expect_op(add(base, q), Ok(0))?;
    r.expect_op(add(base + 3 * q, q), Ok(0))?;
    r.expect_op(add(base + 3 * q - scale, 2 * scale), Err(MemoryOverlap))?;
    if s.check_window_limit {
        r.case("contract/outside-window");
        r.expect_op(add(base + s.window, scale), Err(InvalidParam))?;
        r.expect_op(add(base + s.window - scale, 2 * scale), Err(InvalidParam))?;
        if base >= scale {
            r.expect_op(add(base - scale, scale), Err(InvalidParam))?;
        }
    }
    // The regions hold 3q values with a hole from 2q to 3q; every unit must come from them.
    r.case("contract/regions-with-holes");
    ensure(
        r.model.total() == 3 * q / scale,
        "contract/regions-with-holes",
        "count-mismatch",
        || {
            format!(
                "the model holds {} units, expected {}",
                r.model.total(),
                3 * q / scale
            )
        },
    )?;
    exhaust(&mut r, 3, scale)?;
    exhaust(&mut r, 1, scale)?;
    r.free_all()
}

/// Allocates runs of `count` aligned to `align` until `NoMemory`.
fn exhaust<T: Target>(r: &mut UnitRunner<T>, count: usize, align: usize) -> CheckResult<usize> {
    let mut n = 0;
    while r.apply(alloc(count, align))?.is_ok() {
        n += 1;
    }
    Ok(n)
}

fn bad_arguments<T: Target>(new: &mut impl FnMut() -> T, s: &Setup) -> CheckResult {
    let (base, scale) = (s.base, s.scale);
    let q = s.quarter();
    let top = usize::MAX & !(scale - 1);
    let mut r = runner(new, s);
    r.case("contract/bad-arguments");
    r.expect_op(init(base + q, q), Ok(0))?;
    r.expect_op(add(base + 3 * q, q), Ok(0))?;
    let a = base + q;
    let (one, page) = if s.ids { (1, 1) } else { (1, scale) };
    r.case("contract/zero-count");
    r.expect_op(alloc(0, page), Err(InvalidParam))?;
    r.case("contract/bad-alignment");
    r.expect_op(alloc(1, 0), Err(InvalidParam))?;
    r.expect_op(alloc(1, 3 * scale), Err(InvalidParam))?;
    if scale > 1 {
        r.expect_op(alloc(1, scale / 2), Err(InvalidParam))?;
    }
    if let Some(beyond) = s.max_align.checked_mul(2) {
        r.expect_op(alloc(1, beyond), Err(InvalidParam))?;
    }
    if !s.ids {
        r.case("contract/zero-count");
        r.expect_op(alloc_at(a, 0, page), Err(InvalidParam))?;
        r.case("contract/bad-alignment");
        let odd = if (a / page) % 2 == 0 { a + page } else { a };
        r.expect_op(alloc_at(odd, 1, 2 * page), Err(InvalidParam))?;
        r.expect_op(alloc_at(a, 1, 3 * page), Err(InvalidParam))?;
        r.case("contract/unaligned-address");
        r.expect_op(alloc_at(a + 1, 1, page), Err(InvalidParam))?;
        r.expect_op(dealloc(a + 1, 1), Err(InvalidParam))?;
    }
    r.case("contract/out-of-range");
    for at in [base + 2 * q, base + 2 * q + scale, base + 4 * q, top] {
        r.expect_op(alloc_at(at, one, page), Err(InvalidParam))?;
        r.expect_op(dealloc(at, 1), Err(InvalidParam))?;
    }
    r.expect_op(dealloc(top, 2), Err(InvalidParam))?;
    if !s.ids {
        r.expect_op(alloc_at(base + 2 * q - page, 2, page), Err(InvalidParam))?;
        r.expect_op(alloc_at(top, 2, page), Err(InvalidParam))?;
    }
    r.case("contract/zero-count");
    r.expect_op(dealloc(a, 0), Err(InvalidParam))?;
    r.case("contract/dealloc-not-allocated");
    r.expect_op(dealloc(a, 1), Err(NotAllocated))?;
    r.case("contract/alloc-at");
    r.expect_op(alloc_at(a, one, page), Ok(a))?;
    r.case(if s.ids {
        "contract/fixed-id-taken"
    } else {
        "contract/alloc-at-taken"
    });
    r.expect_op(alloc_at(a, one, page), Err(NoMemory))?;
    if !s.ids {
        r.expect_op(alloc_at(a, 2, page), Err(NoMemory))?;
    }
    r.case("contract/dealloc-partial");
    r.expect_op(dealloc(a, 2), Err(NotAllocated))?;
    r.expect_op(UnitOp::Query { at: a }, Ok(0))?;
    r.expect_op(alloc_at(a, one, page), Err(NoMemory))?;
    r.case("contract/dealloc");
    r.expect_op(dealloc(a, 1), Ok(0))?;
    r.case("contract/double-free");
    r.expect_op(dealloc(a, 1), Err(NotAllocated))?;
    r.expect_op(UnitOp::Query { at: a }, Ok(0))?;
    // A run freed in parts.
    r.case("contract/partial-free");
    let run = r.apply(alloc(4, page))?;
    if let Ok(at) = run {
        r.expect_op(dealloc(at + scale, 2), Ok(0))?;
        r.expect_op(dealloc(at, 4), Err(NotAllocated))?;
        r.expect_op(dealloc(at, 1), Ok(0))?;
        r.expect_op(dealloc(at + 3 * scale, 1), Ok(0))?;
    }
    r.case("contract/still-works");
    let got = r.apply(alloc(1, page))?;
    ensure(got.is_ok(), "contract/still-works", "wrong-result", || {
        format!("alloc after the errors gave {got:?}")
    })?;
    r.free_all()
}

fn alignment_and_exhaustion<T: Target>(new: &mut impl FnMut() -> T, s: &Setup) -> CheckResult {
    let (base, scale) = (s.base, s.scale);
    let mut r = runner(new, s);
    r.case("contract/alignment");
    r.expect_op(init(base, s.contract_size), Ok(0))?;
    let mut align = scale;
    while align <= s.max_align {
        for count in [1, 3] {
            let _answer = r.apply(alloc(count, align))?;
        }
        r.free_all()?;
        match align.checked_mul(2) {
            Some(next) => align = next,
            None => break,
        }
    }
    r.case("contract/exhaustion");
    let total = r.model.total();
    let n = exhaust(&mut r, 1, scale)?;
    ensure(n == total, "contract/exhaustion", "count-mismatch", || {
        format!("{n} single units fit in {total}")
    })?;
    r.expect_op(alloc(1, scale), Err(NoMemory))?;
    let middle = base + (total / 2) * scale;
    r.expect_op(dealloc(middle, 1), Ok(0))?;
    r.expect_op(alloc(1, scale), Ok(middle))?;
    r.free_all()?;
    r.expect_op(alloc(total, scale), Ok(base))?;
    r.expect_op(alloc(1, scale), Err(NoMemory))?;
    r.expect_op(dealloc(base, total), Ok(0))?;
    r.expect_op(alloc(total + 1, scale), Err(NoMemory))
}
