#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;

use core::{alloc::Layout, fmt, ptr::NonNull};

use allocator_core::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, Regions, align_down, checked_align_up,
    resized,
};
use rlsf::{GRANULARITY, Tlsf};

/// How many regions an allocator of this crate can be given; `add_memory` of one more gets
/// [`NoMemory`](AllocError::NoMemory).
pub const MAX_REGIONS: usize = 32;

// Tuning. rlsf's granularity `G` is `4 * size_of::<usize>()`: 32 bytes on 64-bit targets, 16 on
// 32-bit ones. One pool (a region, or a `G << FLLEN` byte piece of a larger one) holds at most
// `G << FLLEN` bytes, one free block of `(G << FLLEN) - G` plus a `G`-byte sentinel; the free
// lists split each power of two into `SLLEN` sizes.
//
// - 64-bit: `G = 2^5`, `FLLEN = 29`: pools of up to `2^5 << 29 = 2^34` bytes = 16 GiB, whose
//   free block of 16 GiB - 32 bytes holds any request whose rounded size reaches its list,
//   `2^34 - 2^33 / SLLEN` = 16 GiB - 256 MiB. So a region of 8 GiB (or up to 16 GiB) is one
//   pool, and an 8 GiB block fits in a region of a little over 8 GiB. `FLLEN = 28` would stop
//   at 8 GiB pools, whose largest block is 32 bytes short of 8 GiB.
// - 32-bit (and 16-bit): `G = 2^4`, `FLLEN = 28`: `4 + 28 = 32 >= usize::BITS`, so rlsf puts
//   no limit on a pool: one region, and one block, can span the whole address space (the
//   largest size, just under 2^32, is in first-level list 31 - 4 = 27 < 28).
// - `SLLEN = 32`: a request is rounded up to the next of 32 sizes per power of two, so a free
//   block at most 1/32 (about 3 %) larger than the request can be passed over. 64 would halve
//   that at twice the size of the free-list table (`FLLEN * SLLEN` pointers: 7.25 KiB now).
// - Both bitmaps are `u32`: `FLLEN <= 32` and `SLLEN <= 32` bits on every target.
#[cfg(target_pointer_width = "64")]
const FLLEN: usize = 29;
#[cfg(not(target_pointer_width = "64"))]
const FLLEN: usize = 28;
const SLLEN: usize = 32;

/// The upstream heap.
type Inner = Tlsf<'static, u32, u32, FLLEN, SLLEN>;

/// rlsf's granularity: blocks, and the regions given to it, are multiples of it.
const G: usize = GRANULARITY;

/// The largest pool rlsf makes (`Tlsf::MAX_POOL_SIZE`, private upstream, computed the same
/// way): a larger region is cut into pools of this size, each ending in a sentinel. `None`
/// when there is no limit.
const MAX_POOL: Option<usize> = if (G.trailing_zeros() as usize) + FLLEN < usize::BITS as usize {
    Some(G << FLLEN)
} else {
    None
};

/// A two-level segregated-fit (TLSF) byte allocator: `rlsf` 0.2 (`Tlsf` with 29 first-level
/// lists on 64-bit targets, 28 on others, and 32 second-level lists), with the checks it leaves
/// out.
///
/// See the [crate documentation](crate) for when to pick it, its costs and its drawbacks.
///
/// # Regions
///
/// A region `[start, start + size)` is used from its first multiple of rlsf's `GRANULARITY`
/// (`4 * size_of::<usize>()`: 32 bytes on 64-bit targets) that is not 0, up to its last
/// multiple of it; the trimmed edges stay unused. It must keep at least two granules once
/// trimmed (one for a block, one for rlsf's end-of-pool sentinel), or it gets
/// [`AllocError::InvalidParam`]. On 64-bit targets a region above 16 GiB is cut into pools of
/// 16 GiB, each with its own sentinel. Up to [`MAX_REGIONS`] regions are remembered for the
/// overlap check, which compares the regions as given, untrimmed edges included; one more
/// region gets [`AllocError::NoMemory`].
///
/// # Blocks
///
/// A request of `size` bytes takes a block of `round_up(size + header + padding, GRANULARITY)`
/// bytes: the header is half a granule (16 bytes on 64-bit targets), and for an alignment of
/// a granule or more up to `align - GRANULARITY / 2` bytes of padding come before the payload.
/// A size of 0 takes one granule. Alignments up to the largest block (16 GiB - 32 bytes on
/// 64-bit targets, no limit on others) are honoured; larger ones get
/// [`AllocError::InvalidParam`].
///
/// [`realloc`](ByteAllocator::realloc) is rlsf's: in place when the block shrinks, or when
/// the free space after it (or before and after it) is large enough; otherwise it moves.
///
/// # Statistics
///
/// [`total_bytes`](ByteAllocator::total_bytes) is the sum of the free blocks rlsf made from the
/// regions: each trimmed region less one granule of sentinel per pool. All of it can be handed
/// out. [`used_bytes`](ByteAllocator::used_bytes) is the sum of the live blocks' sizes, header
/// and padding included: one addition per `alloc` and `dealloc`, of a size worked out from the
/// layout (and, for an alignment of a granule or more, from the padding rlsf records before
/// the payload).
///
/// # Examples
///
/// In a `static`, behind a lock:
///
/// ```
/// use allocator_tlsf::TlsfByteAllocator;
///
/// static HEAP: spin::Mutex<TlsfByteAllocator> = spin::Mutex::new(TlsfByteAllocator::new());
/// assert_eq!(format!("{:?}", HEAP.lock()), "TlsfByteAllocator { total_bytes: 0, used_bytes: 0, regions: 0 }");
/// ```
pub struct TlsfByteAllocator {
    tlsf: Inner,
    /// The sum of the sizes of the live blocks.
    used: usize,
    /// The sum of the sizes of the free blocks made when the regions were added.
    total: usize,
    regions: Regions<MAX_REGIONS>,
}

impl TlsfByteAllocator {
    /// An allocator with no memory: give it some with [`init`](BaseAllocator::init).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            tlsf: Tlsf::new(),
            used: 0,
            total: 0,
            regions: Regions::new(),
        }
    }
}

impl Default for TlsfByteAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TlsfByteAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsfByteAllocator")
            .field("total_bytes", &self.total)
            .field("used_bytes", &self.used)
            .field("regions", &self.regions.len())
            .finish()
    }
}

// SAFETY: the allocator holds pointers to block headers inside the regions it was given; by
// the contract of `init`/`add_memory` those regions are handed over to it, with no tie to the
// thread that gave them, and it has no thread-local or shared state. Moving it to another
// thread moves sole ownership of the free memory with it.
unsafe impl Send for TlsfByteAllocator {}

impl BaseAllocator for TlsfByteAllocator {
    /// # Errors
    ///
    /// As for the trait; [`AllocError::InvalidParam`] if less than two granules are left once
    /// the region is trimmed (see [Regions](Self#regions)).
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if !self.regions.is_empty() {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller keeps the contract of `init`, the same as `add_memory`'s.
        unsafe { self.add_memory(start, size) }
    }

    /// # Errors
    ///
    /// As for the trait; [`AllocError::InvalidParam`] if less than two granules are left once
    /// the region is trimmed, [`AllocError::NoMemory`] if [`MAX_REGIONS`] regions are held
    /// already.
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = self.regions.check(start, size)?;
        let (lo, hi) = usable_part(start, end).ok_or(AllocError::InvalidParam)?;
        let first = NonNull::new(core::ptr::with_exposed_provenance_mut::<u8>(lo))
            .ok_or(AllocError::InvalidParam)?;
        self.regions.insert(start, size)?;
        let (taken, usable) = pool_bytes(hi - lo);
        // SAFETY: `[lo, hi)` lies in the region the caller hands over (contract of
        // `add_memory`: valid for reads and writes, used by nothing else, alive as long as the
        // allocator, which stands in for rlsf's `'static`), and it is disjoint from every
        // earlier region (checked just above). It is aligned to `G` and at least `2 * G` long,
        // so rlsf makes at least one pool of it.
        let got = unsafe {
            self.tlsf
                .insert_free_block_ptr(NonNull::slice_from_raw_parts(first, hi - lo))
        };
        debug_assert_eq!(
            got.map(|n| n.get()),
            Some(taken),
            "rlsf's pool layout changed"
        );
        self.total += usable;
        Ok(())
    }
}

// SAFETY: every block is carved by rlsf from a free block of the regions given (1); rlsf pads
// the payload to `align` for every power of two, and alignments above the largest block are
// refused (2); rlsf's blocks never overlap and each has its own header, so even size-0
// requests get distinct blocks (3, 4); rlsf's `reallocate` keeps the first `min(old, new)`
// bytes and changes nothing when it fails (5); `used` and `total` count block sizes exactly
// as rlsf lays them out, so `used` never exceeds `total` and returns to its earlier value when
// the blocks allocated since are freed (6).
unsafe impl ByteAllocator for TlsfByteAllocator {
    /// # Errors
    ///
    /// - [`AllocError::NoMemory`]: no free block fits.
    /// - [`AllocError::InvalidParam`]: an alignment above the largest block a pool can have.
    #[inline]
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        let Some(ptr) = self.tlsf.allocate(layout) else {
            return Err(alloc_error(layout));
        };
        // SAFETY: `ptr` was just allocated by `self.tlsf` with `layout`.
        let block = unsafe { block_size(ptr, layout) };
        self.used += block;
        Ok(ptr)
    }

    #[inline]
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: `pos` is a live block of `self.tlsf` allocated with `layout` (the caller's
        // contract of `dealloc`; for a block from `realloc`, rlsf made it for the new size
        // with the old alignment).
        self.used -= unsafe { block_size(pos, layout) };
        // SAFETY: as above; it is freed once.
        unsafe { self.tlsf.deallocate(pos, layout.align()) };
    }

    /// Resizes in place when it can (rlsf's `reallocate`): always when shrinking, and when
    /// growing into free space right after the block, or right before and after it (the
    /// contents are then moved down); otherwise allocates, copies and frees.
    ///
    /// # Errors
    ///
    /// As for the trait.
    #[inline]
    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        let new = resized(old, new_size)?;
        // SAFETY: `pos` is a live block of `self.tlsf` allocated with `old` (the caller's
        // contract of `realloc`). Read before `reallocate`, which may move the padding.
        let old_block = unsafe { block_size(pos, old) };
        // SAFETY: as above; `new` has the same alignment. On `None` rlsf changed nothing.
        let Some(moved) = (unsafe { self.tlsf.reallocate(pos, new) }) else {
            return Err(alloc_error(new));
        };
        // SAFETY: `moved` is the block rlsf just resized or made for `new`.
        let new_block = unsafe { block_size(moved, new) };
        self.used = self.used - old_block + new_block;
        Ok(moved)
    }

    #[inline]
    fn total_bytes(&self) -> usize {
        self.total
    }

    #[inline]
    fn used_bytes(&self) -> usize {
        self.used
    }
}

/// The error for a request rlsf could not serve.
#[cold]
fn alloc_error(layout: Layout) -> AllocError {
    match MAX_POOL {
        // No alignment above the largest free block a pool can have can be honoured.
        Some(pool) if layout.align() > pool - G => AllocError::InvalidParam,
        _ => AllocError::NoMemory,
    }
}

/// The size of the block rlsf made for the live allocation at `ptr` of `layout`, header and
/// padding included: what it withholds from other requests.
///
/// rlsf 0.2 gives every used block exactly `round_up(overhead + size, G)` bytes, `overhead`
/// being the distance from the block's start (its header) to the payload: `allocate`,
/// `reallocate` in place (shrinking, growing, or moving down) all compute that size and split
/// off the rest of the free space as a free block of its own, which is always possible because
/// both are multiples of `G` and a free block needs only `G` bytes. So the size follows from
/// the layout and the overhead, without reading the size word:
/// - for an alignment below `G` the header (the size word, then the previous block's address:
///   `G / 2` bytes) ends right at the payload, so `overhead = G / 2`, known without a read;
/// - for larger alignments the word right before the payload points to the header
///   (`Tlsf::used_block_hdr_for_allocation`, private upstream): one read.
///
/// `tests::block_sizes_match_rlsf` checks the sum of these against rlsf's own block walk.
///
/// # Safety
///
/// `ptr` is a live allocation of this allocator's `Tlsf`, made (or last resized) by rlsf for
/// `layout`: its size and alignment.
#[inline]
unsafe fn block_size(ptr: NonNull<u8>, layout: Layout) -> usize {
    // No overflow in either sum: rlsf computed the same sum (with checks) for a block it made.
    // Each branch rounds its own sum, so that the common one folds its constants into one add.
    let (overhead, block) = if layout.align() < G {
        // The header ends right at the payload.
        (G / 2, (layout.size() + (G / 2 + G - 1)) & !(G - 1))
    } else {
        // SAFETY: for this alignment rlsf writes the header's address into the word before
        // the payload, inside the block (the payload starts at least `G / 2` bytes after the
        // header, and is aligned to `G`, so the word is aligned), and keeps it while the block
        // is live.
        let header = unsafe { ptr.as_ptr().cast::<*const u8>().sub(1).read() };
        let overhead = ptr.as_ptr().addr() - header.addr();
        (overhead, (overhead + layout.size() + (G - 1)) & !(G - 1))
    };
    // In debug builds, check against the size word of the header (the block size, a multiple
    // of `G`, with flags in its two low bits).
    #[cfg(debug_assertions)]
    {
        let header = ptr.as_ptr().wrapping_sub(overhead).cast::<usize>();
        // SAFETY: `header` is the block's header, which rlsf keeps initialised while the
        // block is live; its first word is the size.
        let size_word = unsafe { header.read() };
        debug_assert_eq!(block, size_word & !(G - 1), "rlsf's block layout changed");
    }
    #[cfg(not(debug_assertions))]
    let _ = overhead;
    block
}

/// The part of `[start, end)` that rlsf can make a pool of, or `None` if it is shorter than two
/// granules.
///
/// rlsf rounds the start up itself, but with wrapping arithmetic, takes a `NonNull` start
/// (address 0 is skipped here), and silently makes nothing of a pool too small for one block
/// and the sentinel.
fn usable_part(start: usize, end: usize) -> Option<(usize, usize)> {
    let lo = checked_align_up(start.max(1), G)?;
    let hi = align_down(end, G);
    (hi.checked_sub(lo)? >= 2 * G).then_some((lo, hi))
}

/// What rlsf's `insert_free_block_ptr` makes of an aligned region of `len` bytes (a multiple
/// of `G`, at least `2 * G`): the bytes its pools take, and the bytes of their free blocks.
///
/// It cuts the region into pools of at most [`MAX_POOL`] bytes and gives each a `G`-byte
/// sentinel; a last piece shorter than `2 * G` (only `G` is possible) is left out.
const fn pool_bytes(len: usize) -> (usize, usize) {
    match MAX_POOL {
        Some(pool) => {
            let (full, rest) = (len / pool, len % pool);
            let (rest_taken, rest_free) = if rest >= 2 * G {
                (rest, rest - G)
            } else {
                (0, 0)
            };
            (full * pool + rest_taken, full * (pool - G) + rest_free)
        }
        None => (len, len - G),
    }
}
