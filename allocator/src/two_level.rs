//! [`TwoLevelHeap`]: a byte heap that grows on demand from a page allocator it shares with page
//! users.

use core::{alloc::Layout, fmt, ptr::NonNull};

use allocator_core::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, PageAllocator, is_aligned,
};

/// The bytes the byte heap takes from the page allocator at [`init`](BaseAllocator::init)
/// unless [`with_initial_bytes`](TwoLevelHeap::with_initial_bytes) says otherwise.
pub const DEFAULT_INITIAL_BYTES: usize = 64 * 1024;

/// How many times one request grows the heap before it fails with `NoMemory`.
const MAX_GROWTHS: usize = 4;

/// Where [`TwoLevelHeap::add_run`] takes a run from `P`.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// At this address (`alloc_pages_at`, page-aligned).
    At(usize),
    /// Anywhere, aligned to this many bytes (`alloc_pages`).
    Aligned(usize),
}

/// One run of pages the byte heap owns.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: usize,
    size: usize,
}

/// A byte heap and a page allocator over one memory map: all memory goes to the page allocator
/// `P`, and the byte allocator `B` takes runs of pages from it as it needs them.
///
/// # How it grows
///
/// [`init`](BaseAllocator::init) and [`add_memory`](BaseAllocator::add_memory) give regions to
/// `P`. `init` (or the first `add_memory`) then takes a first run of [`DEFAULT_INITIAL_BYTES`]
/// (or [`with_initial_bytes`](Self::with_initial_bytes)) for `B`. When `B` answers a request with
/// `NoMemory`, the heap takes a further run of pages, gives it to `B` with `add_memory`, and
/// retries, up to 4 times per request. The run is a power of two of pages, at least as many
/// bytes as `B` already has (so the heap doubles), at least the initial run, and at least what
/// the request needs in the usual backends: its size rounded up to a power of two or plus an
/// eighth, whichever is larger (buddy heaps need the former, TLSF heaps round up to their size
/// class), plus its alignment and two pages for the backend's bookkeeping. If so large a run
/// is not free, it halves the run, down to the size plus an eighth plus the alignment and two
/// pages.
///
/// Where a run goes, first choice first:
/// 1. Right after the newest run, like `brk`, if the request's power-of-two block, aligned to
///    its size, fits in the run there. The heap's runs stay in one piece and the rest of the
///    free pages in another, so the next, larger run still finds room.
/// 2. Anywhere, aligned to the largest power of two not above its size, so that a buddy heap
///    gets it as whole blocks.
/// 3. Right after the newest run anyway (a TLSF heap needs no alignment).
/// 4. Anywhere, aligned to a page.
///
/// Measured in a 256 MiB region over a bitmap page allocator, at 256 placements of the region
/// (every MiB, plus 0 to 6 pages): a `Vec` grown by doubling reached 64 MiB at every placement
/// with TLSF, at every one with buddy (128 MiB at 2), and at 227 with slab (32 MiB at the other
/// 29: a buddy part needs the 64 MiB free and aligned to 64 MiB, and never merges a new run
/// with the free blocks beside it). With rule 2 alone, as before, runs split the free pages:
/// 64 MiB failed at 30 placements with TLSF, 32 with buddy, 33 with slab. Small blocks use all
/// of the memory: 1000-byte blocks fill 97.6 % of the region with every backend. The largest
/// block the heap can grow to is about a quarter of the memory; for a larger one, seed the
/// heap with a large first run ([`with_initial_bytes`](Self::with_initial_bytes)).
///
/// Growing runs entirely inside the one `&mut self` call that needs it: it never allocates
/// from the heap itself and takes no lock, so behind [`Locked`](crate::Locked) there is one lock
/// for everything, taken once.
///
/// Runs the heap takes are never given back to `P`. A request that fails after growing leaves
/// the heap grown (a larger [`heap_bytes`](Self::heap_bytes); the statistics below do not
/// change), with no block allocated.
///
/// # Page users and the heap's pages
///
/// Page users allocate from the same instance through [`PageAllocator`]. The runs `B` owns
/// are allocated pages of `P`, so `P` never hands them out again; and since
/// [`dealloc_pages`](PageAllocator::dealloc_pages) is safe, the heap remembers its runs (in a
/// fixed array of `MAX_RUNS`, 32 by default) and refuses to free any page of them
/// ([`NotAllocated`](AllocError::NotAllocated)) or to allocate it at a fixed address
/// ([`NoMemory`](AllocError::NoMemory)). Once the array is full the heap stops growing.
///
/// # Statistics
///
/// - [`ByteAllocator::total_bytes`]: what the byte heap can hand out, now or after growing: the
///   bytes of its runs ([`heap_bytes`](Self::heap_bytes)) plus the bytes of `P`'s free pages.
///   Growing moves pages from one term to the other, so it changes only when memory is added
///   or page users take or return pages. (The byte heap alone: `byte_allocator().total_bytes()`.)
/// - [`used_bytes`](ByteAllocator::used_bytes): that of `B`.
/// - [`available_bytes`](ByteAllocator::available_bytes): `total_bytes - used_bytes`, an upper
///   bound shared by byte and page users.
/// - [`PageAllocator::total_pages`] / [`used_pages`](PageAllocator::used_pages): those of `P`;
///   the used pages include the heap's runs.
///
/// # Example
///
/// ```
/// # #[cfg(all(feature = "tlsf", feature = "bitmap", feature = "lock"))] {
/// use allocator::{BitmapPageAllocator, Locked, TlsfByteAllocator, TwoLevelHeap};
///
/// type KernelHeap = TwoLevelHeap<TlsfByteAllocator, BitmapPageAllocator<4096>>;
///
/// // #[global_allocator]
/// static HEAP: Locked<KernelHeap> =
///     Locked::new(TwoLevelHeap::new(TlsfByteAllocator::new(), BitmapPageAllocator::new()));
/// # }
/// ```
pub struct TwoLevelHeap<B, P, const MAX_RUNS: usize = 32> {
    bytes: B,
    pages: P,
    runs: [Run; MAX_RUNS],
    num_runs: usize,
    heap_bytes: usize,
    initial_bytes: usize,
}

impl<B, P, const MAX_RUNS: usize> TwoLevelHeap<B, P, MAX_RUNS> {
    /// Combines an empty byte allocator and an empty page allocator.
    #[must_use]
    pub const fn new(bytes: B, pages: P) -> Self {
        Self {
            bytes,
            pages,
            runs: [Run { start: 0, size: 0 }; MAX_RUNS],
            num_runs: 0,
            heap_bytes: 0,
            initial_bytes: DEFAULT_INITIAL_BYTES,
        }
    }

    /// Sets how many bytes the byte heap takes at [`init`](BaseAllocator::init) (rounded up to
    /// whole pages, at least one).
    #[must_use]
    pub const fn with_initial_bytes(mut self, initial_bytes: usize) -> Self {
        self.initial_bytes = initial_bytes;
        self
    }

    /// The byte allocator.
    pub const fn byte_allocator(&self) -> &B {
        &self.bytes
    }

    /// The page allocator.
    pub const fn page_allocator(&self) -> &P {
        &self.pages
    }

    /// The bytes of the page runs the byte heap owns now.
    pub const fn heap_bytes(&self) -> usize {
        self.heap_bytes
    }

    /// The page runs the byte heap owns, as `(start, size in bytes)`, oldest first.
    pub fn heap_runs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.runs[..self.num_runs]
            .iter()
            .map(|run| (run.start, run.size))
    }

    /// Whether a page of `[pos, pos + num_pages * page_size)` belongs to the byte heap; `false`
    /// for a range whose end overflows (the page allocator rejects it).
    fn touches_heap(&self, pos: usize, num_pages: usize, page_size: usize) -> bool {
        let Some(end) = num_pages
            .checked_mul(page_size)
            .and_then(|len| pos.checked_add(len))
        else {
            return false;
        };
        self.runs[..self.num_runs]
            .iter()
            .any(|run| pos < run.start + run.size && run.start < end)
    }
}

impl<B: ByteAllocator, P: PageAllocator, const MAX_RUNS: usize> TwoLevelHeap<B, P, MAX_RUNS> {
    /// Takes `num_pages` pages from `P`, placed as `place` says, and gives them to `B`.
    fn add_run(&mut self, num_pages: usize, place: Place) -> AllocResult {
        if self.num_runs == MAX_RUNS {
            return Err(AllocError::NoMemory);
        }
        let size = num_pages
            .checked_mul(P::PAGE_SIZE)
            .ok_or(AllocError::NoMemory)?;
        let start = match place {
            Place::At(base) => self.pages.alloc_pages_at(base, num_pages, P::PAGE_SIZE)?,
            Place::Aligned(align) => self.pages.alloc_pages(num_pages, align)?,
        };
        // SAFETY: the run is allocated to us in `P` and shares no page with any other
        // allocated run (the `PageAllocator` promise); it lies in memory given to this heap
        // by `init`/`add_memory`, whose contract makes it valid for reads and writes and ours
        // for as long as the heap or its blocks are in use; `dealloc_pages` and
        // `alloc_pages_at` refuse to touch it while it is in `runs`.
        if let Err(err) = unsafe { self.bytes.add_memory(start, size) } {
            // `B` did not take it: give it back (a run just allocated is always freed).
            let _ = self.pages.dealloc_pages(start, num_pages);
            return Err(err);
        }
        self.runs[self.num_runs] = Run { start, size };
        self.num_runs += 1;
        self.heap_bytes += size;
        Ok(())
    }

    /// Gives `B` a further run of pages for `layout`; see "How it grows".
    fn grow(&mut self, layout: Layout) -> AllocResult {
        if self.num_runs == MAX_RUNS {
            return Err(AllocError::NoMemory);
        }
        let (min_bytes, want_bytes) = Self::run_bounds(layout).ok_or(AllocError::NoMemory)?;
        let page = P::PAGE_SIZE;
        let min_pages = min_bytes.div_ceil(page);
        // A power of two of pages: with the alignment of `run_align`, runs then tile memory
        // the way a buddy heap splits it.
        let want_pages = want_bytes
            .max(self.heap_bytes)
            .max(self.initial_bytes)
            .div_ceil(page);
        let mut num_pages = want_pages.checked_next_power_of_two().unwrap_or(want_pages);
        // The newest run's end: a run placed there extends the heap's memory the way `brk`
        // does, leaving the rest of the free pages in one piece.
        let heap_end = self.num_runs.checked_sub(1).map(|last| {
            let run = self.runs[last];
            run.start + run.size
        });
        // The block a buddy heap needs for `layout`: a power of two aligned to its size.
        let block = layout
            .size()
            .max(layout.align())
            .checked_next_power_of_two()
            .ok_or(AllocError::NoMemory)?;
        loop {
            let align = Self::run_align(num_pages);
            let run_bytes = num_pages.saturating_mul(page);
            // The four choices of "How it grows", in order.
            let after_heap = |holds_block: bool| {
                heap_end.filter(|&end| {
                    let fits = end
                        .checked_next_multiple_of(block)
                        .is_some_and(|at| run_bytes >= block && at - end <= run_bytes - block);
                    fits == holds_block
                })
            };
            if after_heap(true).is_some_and(|end| self.add_run(num_pages, Place::At(end)).is_ok())
                || self.add_run(num_pages, Place::Aligned(align)).is_ok()
                || after_heap(false)
                    .is_some_and(|end| self.add_run(num_pages, Place::At(end)).is_ok())
                || (align > page && self.add_run(num_pages, Place::Aligned(page)).is_ok())
            {
                return Ok(());
            }
            if num_pages <= min_pages {
                return Err(AllocError::NoMemory);
            }
            num_pages = (num_pages / 2).max(min_pages);
        }
    }

    /// The smallest run worth trying for `layout`, and the run that serves it in every usual
    /// backend; `None` if they overflow.
    ///
    /// - Smallest: the size plus an eighth (a TLSF heap rounds a request up to its size class,
    ///   by at most a 32nd with rlsf's settings), the alignment, and two pages for the
    ///   backend's bookkeeping.
    /// - Wanted: at least the size rounded up to a power of two (a buddy heap needs a block of
    ///   that size, aligned to it).
    fn run_bounds(layout: Layout) -> Option<(usize, usize)> {
        let size = layout.size();
        let slack = layout.align().checked_add(2 * P::PAGE_SIZE)?;
        let min = size.checked_add(size / 8)?.checked_add(slack)?;
        let pow2 = size.max(layout.align()).checked_next_power_of_two()?;
        let want = pow2.max(min - slack).checked_add(slack)?;
        Some((min, want))
    }

    /// The alignment asked of `P` for a run of `num_pages`: the largest power of two not above
    /// the run's size, at least a page. A run aligned to its own size is one block to a buddy
    /// heap (and to the buddy part of a slab heap), and neighbouring runs can merge.
    fn run_align(num_pages: usize) -> usize {
        let run_bytes = num_pages.saturating_mul(P::PAGE_SIZE);
        if run_bytes == 0 {
            P::PAGE_SIZE
        } else {
            (1 << run_bytes.ilog2()).max(P::PAGE_SIZE)
        }
    }
}

impl<B: ByteAllocator, P: PageAllocator, const MAX_RUNS: usize> BaseAllocator
    for TwoLevelHeap<B, P, MAX_RUNS>
{
    /// Gives `P` its first region, then takes the byte heap's first run from it (if that run
    /// is not free, the byte heap starts empty and grows at the first allocation).
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller keeps the contract of `init`, the same for `P`.
        unsafe { self.pages.init(start, size) }?;
        self.seed();
        Ok(())
    }

    /// Gives `P` one more region, which the byte heap and page users then share; on a heap
    /// whose byte heap has no run yet, also takes its first run, as `init` does.
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller keeps the contract of `add_memory`, the same for `P`.
        unsafe { self.pages.add_memory(start, size) }?;
        if self.num_runs == 0 {
            self.seed();
        }
        Ok(())
    }
}

impl<B: ByteAllocator, P: PageAllocator, const MAX_RUNS: usize> TwoLevelHeap<B, P, MAX_RUNS> {
    /// Takes the byte heap's first run, if it is free (else the heap grows at the first
    /// allocation).
    fn seed(&mut self) {
        let num_pages = self.initial_bytes.div_ceil(P::PAGE_SIZE).max(1);
        let align = Self::run_align(num_pages);
        if self.add_run(num_pages, Place::Aligned(align)).is_err() && align > P::PAGE_SIZE {
            let _ = self.add_run(num_pages, Place::Aligned(P::PAGE_SIZE));
        }
    }
}

// SAFETY: every block comes from `B`, which keeps the `ByteAllocator` promise over the runs it
// was given; those runs are pages of `P` allocated to the heap alone (the `PageAllocator`
// promise) inside the memory given to `init`/`add_memory`, and `dealloc_pages` /
// `alloc_pages_at` refuse to touch them, so no page user can be handed a page a block lies
// in. Growing only adds memory to `B`, never moves a block.
unsafe impl<B: ByteAllocator, P: PageAllocator, const MAX_RUNS: usize> ByteAllocator
    for TwoLevelHeap<B, P, MAX_RUNS>
{
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        let mut growths = 0;
        loop {
            match self.bytes.alloc(layout) {
                Err(AllocError::NoMemory) if growths < MAX_GROWTHS => {
                    self.grow(layout)?;
                    growths += 1;
                }
                result => return result,
            }
        }
    }

    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller keeps the contract of `dealloc`; every block is `B`'s.
        unsafe { self.bytes.dealloc(pos, layout) }
    }

    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        let mut growths = 0;
        loop {
            // SAFETY: the caller keeps the contract of `realloc`; every block is `B`'s, and
            // on error the block is untouched and still the caller's, so it may be retried.
            match unsafe { self.bytes.realloc(pos, old, new_size) } {
                Err(AllocError::NoMemory) if growths < MAX_GROWTHS => {
                    let new = Layout::from_size_align(new_size, old.align())
                        .map_err(|_| AllocError::InvalidParam)?;
                    self.grow(new)?;
                    growths += 1;
                }
                result => return result,
            }
        }
    }

    /// The bytes of the byte heap's runs plus those of the free pages (see "Statistics").
    fn total_bytes(&self) -> usize {
        let free = self.pages.available_pages().saturating_mul(P::PAGE_SIZE);
        self.heap_bytes.saturating_add(free)
    }

    fn used_bytes(&self) -> usize {
        self.bytes.used_bytes()
    }
}

// SAFETY: every run comes from `P`, which keeps the `PageAllocator` promise; the heap's own
// runs are allocated in `P` so they are never handed out, and the counts are `P`'s.
unsafe impl<B: ByteAllocator, P: PageAllocator, const MAX_RUNS: usize> PageAllocator
    for TwoLevelHeap<B, P, MAX_RUNS>
{
    const PAGE_SIZE: usize = P::PAGE_SIZE;

    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize> {
        self.pages.alloc_pages(num_pages, align_pow2)
    }

    /// Refuses with [`NoMemory`](AllocError::NoMemory) a run touching the byte heap's pages.
    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize> {
        let valid = num_pages > 0
            && align_pow2.is_power_of_two()
            && align_pow2 % P::PAGE_SIZE == 0
            && is_aligned(base, align_pow2);
        if valid && self.touches_heap(base, num_pages, P::PAGE_SIZE) {
            return Err(AllocError::NoMemory);
        }
        self.pages.alloc_pages_at(base, num_pages, align_pow2)
    }

    /// Refuses with [`NotAllocated`](AllocError::NotAllocated) a run touching the byte heap's
    /// pages: they are not the caller's.
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        let valid = num_pages > 0 && is_aligned(pos, P::PAGE_SIZE);
        if valid && self.touches_heap(pos, num_pages, P::PAGE_SIZE) {
            return Err(AllocError::NotAllocated);
        }
        self.pages.dealloc_pages(pos, num_pages)
    }

    fn total_pages(&self) -> usize {
        self.pages.total_pages()
    }

    fn used_pages(&self) -> usize {
        self.pages.used_pages()
    }

    fn available_pages(&self) -> usize {
        self.pages.available_pages()
    }
}

impl<B: Default, P: Default, const MAX_RUNS: usize> Default for TwoLevelHeap<B, P, MAX_RUNS> {
    fn default() -> Self {
        Self::new(B::default(), P::default())
    }
}

impl<B, P, const MAX_RUNS: usize> fmt::Debug for TwoLevelHeap<B, P, MAX_RUNS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoLevelHeap")
            .field("heap_runs", &&self.runs[..self.num_runs])
            .field("heap_bytes", &self.heap_bytes)
            .field("initial_bytes", &self.initial_bytes)
            .finish_non_exhaustive()
    }
}
