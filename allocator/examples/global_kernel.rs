//! A kernel's global allocator: a TLSF heap over a static array, behind a lock that masks
//! interrupts, installed as `#[global_allocator]`.
//!
//! Everything in `mod kernel` is written as in a `no_std` kernel (only `core` and `alloc`); the
//! interrupt masking is simulated by a per-CPU flag. This file runs as a hosted program so that
//! CI can execute it; the differences are marked "hosted".
//!
//! Run: `cargo run -p allocator --example global_kernel --features tlsf,lock`.

extern crate alloc;

mod kernel {
    use core::cell::UnsafeCell;
    use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use allocator::lock::lock_api::{GuardNoSend, RawMutex};
    use allocator::{Locked, TlsfByteAllocator};

    /// The heap's memory: 8 MiB in `.bss`, page-aligned.
    const HEAP_SIZE: usize = 8 << 20;

    #[repr(C, align(4096))]
    struct HeapSpace(UnsafeCell<[u8; HEAP_SIZE]>);

    // SAFETY: the array is only reached through the heap (behind its lock) and through the
    // blocks it hands out, each owned by one user.
    unsafe impl Sync for HeapSpace {}

    static HEAP_SPACE: HeapSpace = HeapSpace(UnsafeCell::new([0; HEAP_SIZE]));

    // --- Interrupt masking (on x86-64: `pushfq; cli` and `popfq`). Simulated here (hosted). ---

    static IRQ_ENABLED: AtomicBool = AtomicBool::new(true);

    /// Masks interrupts on this CPU and returns whether they were enabled.
    pub(crate) fn irq_save() -> bool {
        IRQ_ENABLED.swap(false, Ordering::SeqCst)
    }

    /// Restores the state `irq_save` returned.
    pub(crate) fn irq_restore(was_enabled: bool) {
        IRQ_ENABLED.store(was_enabled, Ordering::SeqCst);
    }

    pub(crate) fn irqs_enabled() -> bool {
        IRQ_ENABLED.load(Ordering::SeqCst)
    }

    /// A spin lock that keeps interrupts masked while held. An interrupt handler that
    /// allocates can then never spin on a lock held by the code it interrupted on the same
    /// CPU, which a plain spin lock would do for ever.
    pub(crate) struct IrqSpinLock {
        locked: AtomicBool,
        /// The interrupt state to restore on unlock (1 = were enabled).
        saved: AtomicUsize,
    }

    // SAFETY: `locked` is taken with an Acquire compare-exchange and released with a Release
    // store: one holder at a time, whose writes the next holder sees. The guard is not `Send`
    // (`GuardNoSend`): the saved interrupt state belongs to the CPU that locked.
    unsafe impl RawMutex for IrqSpinLock {
        const INIT: Self = Self {
            locked: AtomicBool::new(false),
            saved: AtomicUsize::new(0),
        };
        type GuardMarker = GuardNoSend;

        fn lock(&self) {
            while !self.try_lock() {
                while self.locked.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
            }
        }

        fn try_lock(&self) -> bool {
            let was_enabled = irq_save();
            let won = self
                .locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok();
            if won {
                self.saved
                    .store(usize::from(was_enabled), Ordering::Relaxed);
            } else {
                irq_restore(was_enabled);
            }
            won
        }

        unsafe fn unlock(&self) {
            let was_enabled = self.saved.load(Ordering::Relaxed) == 1;
            self.locked.store(false, Ordering::Release);
            irq_restore(was_enabled);
        }
    }

    /// The kernel heap. `Locked::new` is `const`: the heap is built at compile time and gets
    /// its memory from `init_heap`.
    #[global_allocator]
    pub(crate) static HEAP: Locked<TlsfByteAllocator, IrqSpinLock> =
        Locked::new(TlsfByteAllocator::new());

    /// Gives the heap its memory. A kernel calls this early in its entry point, before the
    /// first allocation; allocations before it fail (null), they never touch memory.
    pub(crate) fn init_heap() {
        if HEAP.is_initialized() {
            return;
        }
        // SAFETY: `HEAP_SPACE` is a static used by nothing else: it is handed to the heap for
        // the rest of the program.
        unsafe { HEAP.init(HEAP_SPACE.0.get() as usize, HEAP_SIZE) }.expect("kernel heap init");
    }

    pub(crate) fn heap_contains(addr: usize) -> bool {
        let start = HEAP_SPACE.0.get() as usize;
        (start..start + HEAP_SIZE).contains(&addr)
    }
}

// Hosted: std allocates before `main`, so the heap is initialised from an ELF constructor,
// which runs first. A kernel calls `init_heap` from its entry point instead.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static INIT_HEAP: extern "C" fn() = {
    extern "C" fn init() {
        kernel::init_heap();
    }
    init
};

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// What an interrupt handler might do: allocate a small buffer and free it. Interrupts are
/// enabled when it runs, so the heap's lock is free on this CPU.
fn timer_interrupt_handler(tick: u64) -> u64 {
    let event = Box::new([tick; 4]);
    event.iter().sum()
}

fn main() {
    kernel::init_heap(); // Hosted: already done by the constructor; a kernel does it here.
    println!("kernel heap ready: {:?}", kernel::HEAP.stats()); // (hosted: allocates stdout's buffer)
    let start = kernel::HEAP.stats();

    let boxed = Box::new(0xC0FFEEu32);
    assert!(kernel::heap_contains(&*boxed as *const u32 as usize));

    let mut tasks: BTreeMap<u32, String> = BTreeMap::new();
    for pid in 1..=100 {
        tasks.insert(pid, alloc::format!("task-{pid}"));
    }
    let mut ticks = 0;
    for tick in 0..1_000 {
        assert!(
            kernel::irqs_enabled(),
            "interrupts stay masked only while the lock is held"
        );
        ticks += timer_interrupt_handler(tick);
    }
    let buffer: Vec<u8> = Vec::with_capacity(1 << 20);

    // Out of memory is an error the kernel can handle, not a crash.
    let mut too_big: Vec<u8> = Vec::new();
    assert!(too_big.try_reserve_exact(64 << 20).is_err());

    // The statistics are read without the lock (safe from any context).
    let busy = kernel::HEAP.stats();
    println!("kernel heap in use: {busy:?}");
    assert!(busy.used_bytes > start.used_bytes + (1 << 20));
    assert_eq!(tasks.len(), 100);
    assert_eq!(ticks, (0..1_000u64).map(|t| 4 * t).sum::<u64>());

    drop((boxed, tasks, buffer, too_big));
    let end = kernel::HEAP.stats();
    println!("kernel heap at the end: {end:?}");
    assert_eq!(end.used_bytes, start.used_bytes);
}
