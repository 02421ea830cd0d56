//! Seeded random operations on both allocators, each answer and the counts checked after every
//! step against a plain model: one cell per page or ID, a hole, free or used.

use allocator_bitmap::{BitmapIdAllocator, BitmapPageAllocator, Ids4K};
use allocator_core::{AllocError, BaseAllocator, IdAllocator, PageAllocator};

/// Miri: 60 steps (the allocators are safe code, so Miri looks for little beyond what the
/// native run checks; 300 steps took a minute a test).
const STEPS: usize = if cfg!(miri) { 60 } else { 100_000 };

/// xorshift64*: small, seeded, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0), near enough.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The operations on a given run that the model judges alike.
#[derive(Clone, Copy)]
enum RunOp {
    AllocAt,
    Free,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cell {
    Hole,
    Free,
    Used,
}

/// The model: cells for units `first..first + cells.len()`, holes everywhere else.
struct Model {
    first: usize,
    cells: Vec<Cell>,
    total: usize,
    used: usize,
    /// Allocated runs, `(unit, len)`, to pick good frees from.
    live: Vec<(usize, usize)>,
}

impl Model {
    fn new(first: usize, len: usize) -> Self {
        Self {
            first,
            cells: vec![Cell::Hole; len],
            total: 0,
            used: 0,
            live: Vec::new(),
        }
    }

    fn cell(&self, unit: usize) -> Cell {
        match unit.checked_sub(self.first) {
            Some(i) if i < self.cells.len() => self.cells[i],
            _ => Cell::Hole,
        }
    }

    /// The cells of `unit..unit + n`, or `None` if the run leaves the model or overflows.
    fn run(&self, unit: usize, n: usize) -> Option<&[Cell]> {
        let i = unit.checked_sub(self.first)?;
        let end = i.checked_add(n)?;
        self.cells.get(i..end)
    }

    /// The expected answer of adding `unit..unit + n` (n > 0) as a region.
    fn add_answer(&self, unit: usize, n: usize, max_regions: usize) -> Result<(), AllocError> {
        let run = self.run(unit, n).expect("adds stay in the model");
        if run.iter().any(|c| *c != Cell::Hole) {
            return Err(AllocError::MemoryOverlap);
        }
        let mut after = self.cells.clone();
        let i = unit - self.first;
        after[i..i + n].fill(Cell::Free);
        let regions = after
            .iter()
            .enumerate()
            .filter(|(j, c)| **c != Cell::Hole && (*j == 0 || after[j - 1] == Cell::Hole))
            .count();
        if regions > max_regions {
            Err(AllocError::NoMemory)
        } else {
            Ok(())
        }
    }

    /// The expected answer of allocating `unit..unit + n` (n > 0, aligned).
    fn alloc_at_answer(&self, unit: usize, n: usize) -> Result<(), AllocError> {
        match self.run(unit, n) {
            Some(run) if run.iter().all(|c| *c != Cell::Hole) => {
                if run.iter().all(|c| *c == Cell::Free) {
                    Ok(())
                } else {
                    Err(AllocError::NoMemory)
                }
            }
            _ => Err(AllocError::InvalidParam),
        }
    }

    /// The expected answer of freeing `unit..unit + n` (n > 0).
    fn dealloc_answer(&self, unit: usize, n: usize) -> Result<(), AllocError> {
        match self.run(unit, n) {
            Some(run) if run.iter().all(|c| *c != Cell::Hole) => {
                if run.iter().all(|c| *c == Cell::Used) {
                    Ok(())
                } else {
                    Err(AllocError::NotAllocated)
                }
            }
            _ => Err(AllocError::InvalidParam),
        }
    }

    /// Whether some run of `n` free cells starts at a multiple of `align`: each cell `i` is
    /// checked as the last of a run, so every run is looked at once.
    fn fits(&self, n: usize, align: usize) -> bool {
        let mut streak = 0;
        for (i, c) in self.cells.iter().enumerate() {
            streak = if *c == Cell::Free { streak + 1 } else { 0 };
            if streak >= n && (self.first + i + 1 - n) % align == 0 {
                return true;
            }
        }
        false
    }

    fn set(&mut self, unit: usize, n: usize, cell: Cell) {
        let i = unit - self.first;
        self.cells[i..i + n].fill(cell);
    }

    fn add(&mut self, unit: usize, n: usize) {
        self.set(unit, n, Cell::Free);
        self.total += n;
    }

    fn alloc(&mut self, unit: usize, n: usize) {
        self.set(unit, n, Cell::Used);
        self.used += n;
        self.live.push((unit, n));
    }

    /// Frees `unit..unit + n`, which may span several live runs.
    fn free(&mut self, unit: usize, n: usize) {
        self.set(unit, n, Cell::Free);
        self.used -= n;
        let end = unit + n;
        let mut kept = Vec::with_capacity(self.live.len() + 1);
        for &(s, len) in &self.live {
            let e = s + len;
            if e <= unit || s >= end {
                kept.push((s, len));
                continue;
            }
            if s < unit {
                kept.push((s, unit - s));
            }
            if e > end {
                kept.push((end, e - end));
            }
        }
        self.live = kept;
    }

    /// Judges the answer of allocating `n` units aligned to `align` units (`valid`: whether
    /// the allocator must take the alignment), given as the first unit, and records a success.
    /// Returns whether it succeeded.
    fn judge_alloc(
        &mut self,
        got: Result<usize, AllocError>,
        n: usize,
        align: usize,
        valid: bool,
        call: &str,
    ) -> bool {
        let expected_err = if !valid || n == 0 {
            Some(AllocError::InvalidParam)
        } else if n > self.total - self.used || !self.fits(n, align) {
            Some(AllocError::NoMemory)
        } else {
            None
        };
        match (got, expected_err) {
            (Ok(unit), None) => {
                assert_eq!(unit % align, 0, "{call}: alignment");
                assert_eq!(
                    self.alloc_at_answer(unit, n),
                    Ok(()),
                    "{call} gave unit {unit}, not free"
                );
                self.alloc(unit, n);
                true
            }
            (got, expected) => {
                assert_eq!(got.err(), expected, "{call}");
                false
            }
        }
    }

    /// Judges the answer of `op` on the run `(unit, n)` (`invalid`: whether the arguments are
    /// wrong in a way the model does not see), and carries out a success. Returns whether it
    /// succeeded.
    fn judge_run(
        &mut self,
        op: RunOp,
        got: Result<(), AllocError>,
        (unit, n): (usize, usize),
        invalid: bool,
        call: &str,
    ) -> bool {
        let expected = if n == 0 || invalid {
            Err(AllocError::InvalidParam)
        } else {
            match op {
                RunOp::AllocAt => self.alloc_at_answer(unit, n),
                RunOp::Free => self.dealloc_answer(unit, n),
            }
        };
        assert_eq!(got, expected, "{call}");
        match (got, op) {
            (Err(_), _) => return false,
            (Ok(()), RunOp::AllocAt) => self.alloc(unit, n),
            (Ok(()), RunOp::Free) => self.free(unit, n),
        }
        true
    }

    /// Judges the answer of adding `unit..unit + n` as a region to an allocator that holds at
    /// most `max_regions`, and records a success. Returns whether it succeeded.
    fn judge_add(
        &mut self,
        got: Result<(), AllocError>,
        unit: usize,
        n: usize,
        max_regions: usize,
        call: &str,
    ) -> bool {
        assert_eq!(got, self.add_answer(unit, n, max_regions), "{call}");
        if got.is_ok() {
            self.add(unit, n);
        }
        got.is_ok()
    }

    /// Checks the allocator's `(total, used, available)` after a step, and now and then the
    /// model itself.
    fn check_counts(&self, counts: (usize, usize, usize), seed: u64, step: usize) {
        assert_eq!(
            counts,
            (self.total, self.used, self.total - self.used),
            "seed {seed:#x} step {step}: counts"
        );
        if step % 10_000 == 0 {
            self.check_self();
        }
    }

    /// Recounts the cells; the incremental counts must agree.
    fn check_self(&self) {
        let total = self.cells.iter().filter(|c| **c != Cell::Hole).count();
        let used = self.cells.iter().filter(|c| **c == Cell::Used).count();
        assert_eq!(
            (total, used),
            (self.total, self.used),
            "the model's own counts"
        );
        assert_eq!(self.live.iter().map(|r| r.1).sum::<usize>(), used);
    }

    /// Picks a free from a live run (good) or anywhere (mostly bad).
    fn pick_free(&self, rng: &mut Rng) -> (usize, usize) {
        if !self.live.is_empty() && rng.chance(80) {
            let k = rng.below(self.live.len());
            let (s, len) = self.live[k];
            let off = if rng.chance(60) { 0 } else { rng.below(len) };
            let n = if rng.chance(60) {
                len - off
            } else {
                1 + rng.below(len - off)
            };
            // Now and then one past the end: a bad free that must free nothing.
            let n = if rng.chance(5) { n + 1 } else { n };
            (s + off, n)
        } else {
            let unit = self
                .first
                .wrapping_sub(8)
                .wrapping_add(rng.below(self.cells.len() + 16));
            (unit, rng.below(8))
        }
    }
}

/// Every kind of operation both succeeded and failed, so the run tested something.
fn assert_varied(tally: &[[usize; 2]; 4], seed: u64) {
    std::eprintln!("seed {seed:#x}: [ok, err] per operation: {tally:?}");
    if !cfg!(miri) {
        for (kind, [ok, err]) in tally.iter().enumerate() {
            assert!(
                *ok > 0 && *err > 0,
                "seed {seed:#x}: operation {kind} was not varied"
            );
        }
    }
}

/// A run length: mostly small, sometimes long, now and then absurd.
fn pick_len(rng: &mut Rng, big: usize) -> usize {
    match rng.below(100) {
        0..=54 => 1,
        55..=89 => 1 + rng.below(16),
        90..=97 => 1 + rng.below(big),
        98 => 0,
        _ => [usize::MAX, big * 1000, 1 << (usize::BITS - 4)][rng.below(3)],
    }
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

const PS: usize = 0x1000;
type Pages = BitmapPageAllocator<PS>;
/// The window starts at 2 GiB; the model covers its first `MODEL_PAGES` pages.
const W: usize = 0x8000_0000;
const MODEL_PAGES: usize = 2048;

/// Regions of the model as `(page, len)`: chunks with holes between, shuffled.
fn initial_regions(rng: &mut Rng, len: usize) -> Vec<(usize, usize)> {
    let mut regions = Vec::new();
    let mut at = rng.below(64);
    while at < len {
        let n = (1 + rng.below(256)).min(len - at);
        if rng.chance(75) {
            regions.push((at, n));
        }
        at += n + 1 + rng.below(32);
    }
    for i in (1..regions.len()).rev() {
        regions.swap(i, rng.below(i + 1));
    }
    regions.truncate(20);
    regions
}

fn run_pages(seed: u64) {
    let mut rng = Rng(seed);
    let mut a = Pages::new();
    let mut m = Model::new(W / PS, MODEL_PAGES);
    for (k, (page, n)) in initial_regions(&mut rng, MODEL_PAGES)
        .into_iter()
        .enumerate()
    {
        let unit = m.first + page;
        // SAFETY: the allocator never touches the memory; nothing else uses these addresses.
        let got = unsafe {
            if k == 0 {
                a.init(unit * PS, n * PS)
            } else {
                a.add_memory(unit * PS, n * PS)
            }
        };
        assert_eq!(got, Ok(()), "seed {seed:#x}: region {k}");
        m.add(unit, n);
    }
    let aligns = [1, 2, 4, 8, 16, 64, 512, 1 << 18];
    // Successes and failures per operation: alloc, alloc_at, dealloc, add.
    let mut tally = [[0_usize; 2]; 4];
    for step in 0..STEPS {
        let op = rng.below(100);
        let (kind, ok) = match op {
            // alloc_pages
            0..=39 => {
                let n = pick_len(&mut rng, 64);
                let (align, valid) = if rng.chance(3) {
                    (
                        [0, PS / 2, 3 * PS, 2 << 30, usize::MAX][rng.below(5)],
                        false,
                    )
                } else {
                    (aligns[rng.below(aligns.len())] * PS, true)
                };
                let call = format!("seed {seed:#x} step {step}: alloc_pages({n}, {align:#x})");
                let got = a.alloc_pages(n, align).map(|addr| {
                    assert_eq!(addr % PS, 0, "{call} gave {addr:#x}");
                    addr / PS
                });
                let ok = m.judge_alloc(got, n, align / PS, valid, &call);
                (0, ok)
            }
            // alloc_pages_at
            40..=59 => {
                let n = pick_len(&mut rng, 32);
                let units = aligns[rng.below(4)];
                let mut unit = m
                    .first
                    .wrapping_sub(4)
                    .wrapping_add(rng.below(MODEL_PAGES + 8));
                unit -= unit % units;
                let mut addr = unit.wrapping_mul(PS);
                if rng.chance(3) {
                    addr = addr.wrapping_add(PS / 2);
                }
                let align = units * PS;
                let call = format!(
                    "seed {seed:#x} step {step}: alloc_pages_at({addr:#x}, {n}, {align:#x})"
                );
                let got = a.alloc_pages_at(addr, n, align).map(|back| {
                    assert_eq!(back, addr, "{call}");
                });
                let ok = m.judge_run(RunOp::AllocAt, got, (unit, n), addr % align != 0, &call);
                (1, ok)
            }
            // dealloc_pages, good and bad
            60..=96 => {
                let (unit, n) = m.pick_free(&mut rng);
                let mut addr = unit.wrapping_mul(PS);
                let unaligned = rng.chance(2);
                if unaligned {
                    addr = addr.wrapping_add(8);
                }
                let call = format!("seed {seed:#x} step {step}: dealloc_pages({addr:#x}, {n})");
                let got = a.dealloc_pages(addr, n);
                let ok = m.judge_run(RunOp::Free, got, (unit, n), unaligned, &call);
                (2, ok)
            }
            // add_memory, mostly overlapping
            _ => {
                let page = rng.below(MODEL_PAGES - 1);
                let n = 1 + rng.below((MODEL_PAGES - page).min(40) - 1);
                let unit = m.first + page;
                // SAFETY: as above.
                let got = unsafe { a.add_memory(unit * PS, n * PS) };
                let call = format!("seed {seed:#x} step {step}: add_memory({page}+{n})");
                let ok = m.judge_add(got, unit, n, 32, &call);
                (3, ok)
            }
        };
        tally[kind][usize::from(!ok)] += 1;
        let counts = (a.total_pages(), a.used_pages(), a.available_pages());
        m.check_counts(counts, seed, step);
    }
    assert_varied(&tally, seed);
    // Every page, as the allocator sees it.
    m.check_self();
    for i in 0..MODEL_PAGES {
        let unit = m.first + i;
        let expected = match m.cells[i] {
            Cell::Hole => Err(AllocError::InvalidParam),
            Cell::Free => Ok(unit * PS),
            Cell::Used => Err(AllocError::NoMemory),
        };
        assert_eq!(
            a.alloc_pages_at(unit * PS, 1, PS),
            expected,
            "seed {seed:#x}: page {i}"
        );
        if expected.is_ok() {
            a.dealloc_pages(unit * PS, 1).unwrap();
        }
    }
}

#[test]
fn random_pages() {
    std::thread::Builder::new()
        .stack_size(4 * size_of::<Pages>() + (8 << 20))
        .spawn(|| run_pages(0x5eed_0001_b175_a110))
        .unwrap()
        .join()
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// IDs
// ---------------------------------------------------------------------------------------------

fn run_ids(seed: u64, window: usize, ranges: usize) {
    type Ids = BitmapIdAllocator<Ids4K>;
    const CAP: usize = 4096;
    let mut rng = Rng(seed);
    let mut a = Ids::new();
    let mut m = Model::new(window, CAP);
    let mut regions = initial_regions(&mut rng, CAP);
    regions.truncate(ranges);
    for (k, (off, n)) in regions.into_iter().enumerate() {
        // SAFETY: IDs are plain numbers that nothing else hands out here.
        let got = unsafe {
            if k == 0 {
                a.init(window + off, n)
            } else {
                a.add_memory(window + off, n)
            }
        };
        assert_eq!(got, Ok(()), "seed {seed:#x}: range {k}");
        m.add(window + off, n);
    }
    assert_eq!(a.window(), Some((window, CAP)));
    // Successes and failures per operation: alloc, alloc_fixed, dealloc, add.
    let mut tally = [[0_usize; 2]; 4];
    for step in 0..STEPS {
        let (kind, ok) = match rng.below(100) {
            // alloc_id
            0..=39 => {
                let n = pick_len(&mut rng, 64);
                let (align, valid) = if rng.chance(3) {
                    ([0, 3, 12, usize::MAX][rng.below(4)], false)
                } else {
                    (
                        1 << [0, 0, 0, 1, 2, 3, 4, 6, 9, 12, 13, 20][rng.below(12)],
                        true,
                    )
                };
                let call = format!("seed {seed:#x} step {step}: alloc_id({n}, {align})");
                let ok = m.judge_alloc(a.alloc_id(n, align), n, align, valid, &call);
                (0, ok)
            }
            // alloc_fixed_id
            40..=59 => {
                let id = window.wrapping_sub(4).wrapping_add(rng.below(CAP + 8));
                let call = format!("seed {seed:#x} step {step}: alloc_fixed_id({id})");
                let ok = m.judge_run(RunOp::AllocAt, a.alloc_fixed_id(id), (id, 1), false, &call);
                (1, ok)
            }
            // dealloc_id, good and bad
            60..=94 => {
                let (id, n) = m.pick_free(&mut rng);
                let call = format!("seed {seed:#x} step {step}: dealloc_id({id}, {n})");
                let ok = m.judge_run(RunOp::Free, a.dealloc_id(id, n), (id, n), false, &call);
                (2, ok)
            }
            // is_allocated
            95..=98 => {
                let id = window.wrapping_sub(4).wrapping_add(rng.below(CAP + 8));
                assert_eq!(
                    a.is_allocated(id),
                    m.cell(id) == Cell::Used,
                    "seed {seed:#x} step {step}: is_allocated({id})"
                );
                continue;
            }
            // add_memory, mostly overlapping
            _ => {
                let off = rng.below(CAP - 1);
                let n = 1 + rng.below((CAP - off).min(40) - 1);
                // SAFETY: as above.
                let got = unsafe { a.add_memory(window + off, n) };
                let call = format!("seed {seed:#x} step {step}: add_memory({off}+{n})");
                let ok = m.judge_add(got, window + off, n, 8, &call);
                (3, ok)
            }
        };
        tally[kind][usize::from(!ok)] += 1;
        m.check_counts((a.size(), a.used(), a.available()), seed, step);
    }
    assert_varied(&tally, seed);
    m.check_self();
    for i in 0..CAP {
        assert_eq!(
            a.is_allocated(window + i),
            m.cells[i] == Cell::Used,
            "seed {seed:#x}: ID {i}"
        );
    }
}

#[test]
fn random_ids_window_at_zero() {
    run_ids(0x5eed_0002_1d5a_11c0, 0, 6);
}

#[test]
fn random_ids_window_at_8k() {
    run_ids(0x5eed_0003_1d5a_11c0, 8192, 6);
}

#[test]
fn random_ids_one_range() {
    run_ids(0x5eed_0004_1d5a_11c0, 4096, 1);
}
