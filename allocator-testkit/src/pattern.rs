//! The byte pattern written into every live block.
//!
//! Byte `i` of the block with id `id` is `TABLE[(offset(id) + i) % TABLE.len()]`, where `TABLE`
//! is a fixed table of random bytes: distinct blocks get distinct patterns, a pattern survives a
//! move (realloc copies bytes in order), and writing or checking it is a few `memcpy`/`memcmp`
//! calls, fast even in a debug build.

use std::sync::OnceLock;

use crate::entropy::TestRng;

/// Length of the table: the period of every pattern.
#[cfg(not(miri))]
const TABLE_LEN: usize = 64 * 1024 + 13;
#[cfg(miri)]
const TABLE_LEN: usize = 4 * 1024 + 13;

fn table() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rng = TestRng::new(0x5eed_7e57_b10c_0000);
        let mut table = Vec::with_capacity(TABLE_LEN + 8);
        while table.len() < TABLE_LEN {
            table.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        table.truncate(TABLE_LEN);
        table
    })
}

/// Where the pattern of block `id` starts in the table.
fn offset(id: u64) -> usize {
    crate::entropy::narrow(id.wrapping_mul(0x9e37_79b9_7f4a_7c15) % TABLE_LEN as u64)
}

/// Writes bytes `from..to` of the pattern of block `id` to `block + from ..`.
///
/// # Safety
///
/// `block + from .. block + to` is valid for writes.
pub(crate) unsafe fn write(block: *mut u8, id: u64, from: usize, to: usize) {
    let table = table();
    let mut i = from;
    while i < to {
        let t = (offset(id) + i) % TABLE_LEN;
        let n = (to - i).min(TABLE_LEN - t);
        // SAFETY: `t + n <= TABLE_LEN`, and `block + i .. block + i + n` lies within
        // `block + from .. block + to`, valid for writes (caller); a table is never a block.
        unsafe { core::ptr::copy_nonoverlapping(table.as_ptr().add(t), block.add(i), n) };
        i += n;
    }
}

/// Checks bytes `from..to` of the pattern of block `id` at `block + from ..`; returns the
/// offset of the first wrong byte, with the byte found and the byte expected.
///
/// # Safety
///
/// `block + from .. block + to` is valid for reads and initialised.
pub(crate) unsafe fn check(
    block: *const u8,
    id: u64,
    from: usize,
    to: usize,
) -> Option<(usize, u8, u8)> {
    let table = table();
    let mut i = from;
    while i < to {
        let t = (offset(id) + i) % TABLE_LEN;
        let n = (to - i).min(TABLE_LEN - t);
        // SAFETY: `block + i .. block + i + n` lies within the readable, initialised range
        // (caller).
        let found = unsafe { core::slice::from_raw_parts(block.add(i), n) };
        let expected = &table[t..t + n];
        if found != expected {
            let (k, (f, e)) = found
                .iter()
                .zip(expected)
                .enumerate()
                .find(|(_, (f, e))| f != e)
                .unwrap_or((0, (&0, &0)));
            return Some((i + k, *f, *e));
        }
        i += n;
    }
    None
}
