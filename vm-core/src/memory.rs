//! The memory a program may touch during one run, and every access to it.
//!
//! This is the one module of the interpreter's path that uses `unsafe`: a [`MemoryMap`] holds raw
//! pointers into slices it borrows for its lifetime `'a`, and reads and writes through them only
//! after checking that the whole access lies inside one region (and, for writes, that the region
//! is writable). Programs see real host addresses, so `r1` is the address of the context buffer and
//! `r10` the address of the top of the current stack frame; hosts' helpers can use the pointers
//! they are given, and compiled backends check against the same regions.
//!
//! The stack region has a movable floor: only the current frame and its callers' frames (above
//! it) are accessible, so a callee cannot touch the frames of calls that have returned.
#![expect(
    unsafe_code,
    reason = "the one module that dereferences program-supplied addresses"
)]

use crate::isa::Size;
use crate::program::Program;
use crate::trap::{Access, TrapKind};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use smallvec::SmallVec;
use std::sync::Arc;

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// The context (input) memory passed in `r1`.
    Context,
    /// The program's stack frames.
    Stack,
    /// Memory a helper or the host made accessible (map values, buffers).
    Host,
}

#[derive(Clone, Copy, Debug)]
struct Region {
    /// Host address of the first accessible byte.
    start: u64,
    /// Accessible length in bytes.
    len: u64,
    /// Pointer to `start`, derived from the borrowed slice (keeps its provenance).
    ptr: *mut u8,
    writable: bool,
    kind: RegionKind,
}

/// A failed access, small and `Copy` so the fast path stays in registers; converts into the
/// [`TrapKind`] it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The access is outside every (writable, for writes) region.
    OutOfBounds {
        /// First byte of the access.
        addr: u64,
        /// Access size in bytes.
        len: u64,
        /// Read or write.
        access: Access,
    },
    /// An atomic access is not aligned to its size.
    Unaligned {
        /// The address.
        addr: u64,
    },
}

impl From<Fault> for TrapKind {
    #[cold]
    fn from(f: Fault) -> TrapKind {
        match f {
            Fault::OutOfBounds { addr, len, access } => TrapKind::OutOfBounds { addr, len, access },
            Fault::Unaligned { addr } => TrapKind::UnalignedAtomic { addr },
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        TrapKind::from(*self).fmt(f)
    }
}

/// Memory shared by the host and programs for longer than one run: map values, global data
/// (`.data`, `.rodata`, `.bss`), ring-buffer records.
///
/// A fixed number of zeroed bytes, aligned to 8, that never move while any `Arc` to them lives;
/// a run that makes them accessible ([`MemoryMap::add_shared`]) keeps them alive until it ends.
/// Programs on several threads may access the same bytes at once, as eBPF programs share map
/// values in Linux: plain loads and stores may then see each other's partial updates, atomic
/// instructions do not. The host's [`read`](Self::read) and [`write`](Self::write) are byte copies
/// with the same guarantees.
pub struct SharedMemory {
    words: Box<[UnsafeCell<u64>]>,
    len: usize,
}

// SAFETY: the bytes are only accessed through raw pointers, by copies and atomic instructions
// whose concurrent use the type documents (as eBPF shares map values between CPUs); no Rust
// reference to them is ever handed out.
unsafe impl Sync for SharedMemory {}
// SAFETY: the allocation is owned and holds plain integers.
unsafe impl Send for SharedMemory {}

impl core::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("addr", &format_args!("{:#x}", self.addr()))
            .field("len", &self.len)
            .finish()
    }
}

impl SharedMemory {
    /// `len` zeroed bytes.
    pub fn new(len: usize) -> SharedMemory {
        let zeroed = Box::<[UnsafeCell<u64>]>::new_zeroed_slice(len.div_ceil(8));
        // SAFETY: all-zero bytes are a valid `u64`, and `UnsafeCell<u64>` has its layout. The
        // allocation is zeroed by the allocator, so large maps cost no memory until touched.
        let words = unsafe { zeroed.assume_init() };
        SharedMemory { words, len }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of the first byte, as programs see it.
    pub fn addr(&self) -> u64 {
        self.base() as u64
    }

    fn base(&self) -> *mut u8 {
        UnsafeCell::raw_get(self.words.as_ptr()).cast::<u8>()
    }

    /// Whether `len` bytes at `offset` lie inside.
    fn fits(&self, offset: usize, len: usize) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len)
    }

    /// Copies the bytes at `offset` into `out`; false (and nothing copied) if they do not all
    /// lie inside.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> bool {
        if !self.fits(offset, out.len()) {
            return false;
        }
        // SAFETY: the range lies inside the allocation (checked above); `out` is a Rust-owned
        // buffer, distinct from it; concurrent writers race as the type documents.
        unsafe {
            core::ptr::copy_nonoverlapping(self.base().add(offset), out.as_mut_ptr(), out.len())
        };
        true
    }

    /// Copies `data` to `offset`; false (and nothing copied) if it does not fit.
    pub fn write(&self, offset: usize, data: &[u8]) -> bool {
        if !self.fits(offset, data.len()) {
            return false;
        }
        // SAFETY: the range lies inside the allocation (checked above); `data` is a Rust borrow
        // and cannot alias it; concurrent accesses race as the type documents.
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), self.base().add(offset), data.len())
        };
        true
    }

    /// Sets `len` bytes at `offset` to `byte`; false if they do not all lie inside.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) -> bool {
        if !self.fits(offset, len) {
            return false;
        }
        // SAFETY: the range lies inside the allocation (checked above).
        unsafe { core::ptr::write_bytes(self.base().add(offset), byte, len) };
        true
    }

    /// Atomically adds `delta` to the little-endian `u64` at `offset` (a multiple of 8);
    /// returns the old value, or `None` if it is not an aligned word inside.
    pub fn fetch_add_u64(&self, offset: usize, delta: u64) -> Option<u64> {
        if !offset.is_multiple_of(8) || !self.fits(offset, 8) {
            return None;
        }
        let word = self.words.get(offset / 8)?;
        // SAFETY: `word` is an 8-byte-aligned `u64` inside the allocation, accessed by other
        // threads only through copies and atomics (as the type documents), which is what
        // `AtomicU64` requires for the lifetime of this borrow.
        let atomic = unsafe { AtomicU64::from_ptr(word.get()) };
        let old = atomic.fetch_add(delta.to_le(), Ordering::SeqCst);
        Some(u64::from_le(old))
    }

    /// Copies `len` bytes at `offset` into a new vector, or `None` if they do not all lie inside.
    pub fn to_vec(&self, offset: usize, len: usize) -> Option<Vec<u8>> {
        let mut v = vec![0; len];
        self.read(offset, &mut v).then_some(v)
    }
}

/// Shared memory a program may access on every run, with its access rights (see
/// [`Program::with_shared`](crate::Program::with_shared)).
#[derive(Clone, Debug)]
pub struct SharedRegion {
    /// The memory.
    pub memory: Arc<SharedMemory>,
    /// Whether programs may write it (`.rodata` may not).
    pub writable: bool,
}

/// The regions one run may access, borrowed for `'a`.
#[derive(Debug)]
pub struct MemoryMap<'a> {
    /// Inline for the usual context, stack and a few more, so a run allocates nothing.
    regions: SmallVec<[Region; 6]>,
    /// Shared memory made accessible during the run, kept alive until it ends.
    shared: SmallVec<[Arc<SharedMemory>; 4]>,
    /// Index of the stack region and the bounds of the whole stack slice.
    stack: Option<(usize, u64, u64, *mut u8)>,
    /// What the running program's proofs assume of the context
    /// ([`Program::proof_context`]), for the helpers that hand it to another program.
    proof_context: Option<u64>,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl Default for MemoryMap<'_> {
    fn default() -> Self {
        MemoryMap::new()
    }
}

/// Zeroed stack memory whose top (the entry frame's `r10`) is aligned to 16 bytes, so that
/// alignment-sensitive accesses (atomics) behave the same on every run and backend.
#[derive(Debug)]
pub struct StackBuffer {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl StackBuffer {
    /// Alignment of the stack top.
    pub const ALIGN: usize = 16;

    /// A zeroed stack of `len` bytes (rounded up to a multiple of [`Self::ALIGN`]).
    pub fn new(len: usize) -> StackBuffer {
        let len = len.div_ceil(Self::ALIGN).saturating_mul(Self::ALIGN);
        let buf = vec![0u8; len.saturating_add(Self::ALIGN)];
        let start = buf.as_ptr().align_offset(Self::ALIGN).min(Self::ALIGN);
        StackBuffer { buf, start, len }
    }

    /// The stack bytes.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let end = self.start + self.len;
        &mut self.buf[self.start..end]
    }

    /// Stack size in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stack has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes this a zeroed stack of `len` bytes (rounded up as in [`new`](Self::new)), reusing the
    /// allocation when it is large enough.
    pub fn reset(&mut self, len: usize) {
        self.resize(len, true);
    }

    /// Makes this a stack of `len` bytes as [`reset`](Self::reset) does, zeroing it (`zero`) or
    /// leaving what a reused allocation holds.
    fn resize(&mut self, len: usize, zero: bool) {
        let rounded = len.div_ceil(Self::ALIGN).saturating_mul(Self::ALIGN);
        if rounded > self.buf.len().saturating_sub(self.start) {
            *self = StackBuffer::new(len);
        } else {
            self.len = rounded;
            if zero {
                self.as_mut_slice().fill(0);
            }
        }
    }

    /// Resets the stack (see [`reset`](Self::reset)) if it is shorter than `len` bytes.
    #[inline]
    pub fn ensure(&mut self, len: usize) {
        if self.len < len {
            self.reset(len);
        }
    }

    /// The address one past the stack's last byte (the entry frame's `r10`).
    #[inline]
    pub fn top(&self) -> u64 {
        (self.buf.as_ptr() as u64)
            .wrapping_add(self.start as u64)
            .wrapping_add(self.len as u64)
    }

    /// Runs `f` with a zeroed stack of `len` bytes, reusing one allocation per thread (a nested
    /// call on the same thread gets a fresh one).
    pub fn with_cached<R>(len: usize, f: impl FnOnce(&mut StackBuffer) -> R) -> R {
        StackBuffer::with_thread_stack(len, len, f)
    }

    /// [`with_cached`](Self::with_cached) without zeroing a reused stack: for programs proven to
    /// read only the stack bytes they write (see
    /// [`Program::stack_reads_proven`](crate::Program::stack_reads_proven)).
    pub fn with_cached_unzeroed<R>(len: usize, f: impl FnOnce(&mut StackBuffer) -> R) -> R {
        StackBuffer::with_thread_stack(len, 0, f)
    }

    /// [`with_cached`](Self::with_cached) zeroing only the top `zeroed` bytes of a reused stack:
    /// for programs that can read no deeper before writing (see
    /// [`Program::stack_reach`](crate::Program::stack_reach)).
    pub fn with_cached_top_zeroed<R>(
        len: usize,
        zeroed: usize,
        f: impl FnOnce(&mut StackBuffer) -> R,
    ) -> R {
        StackBuffer::with_thread_stack(len, zeroed, f)
    }

    fn with_thread_stack<R>(len: usize, zeroed: usize, f: impl FnOnce(&mut StackBuffer) -> R) -> R {
        thread_local! {
            static CACHE: core::cell::Cell<Option<StackBuffer>> = const { core::cell::Cell::new(None) };
        }
        let mut stack = match CACHE.with(|c| c.take()) {
            Some(mut s) => {
                s.resize(len, false);
                let bytes = s.as_mut_slice();
                let from = bytes.len().saturating_sub(zeroed);
                bytes[from..].fill(0);
                s
            }
            None => StackBuffer::new(len),
        };
        let r = f(&mut stack);
        CACHE.with(|c| c.set(Some(stack)));
        r
    }
}

/// The kind of an atomic read-modify-write, for [`MemoryMap::atomic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicRmw {
    /// Add.
    Add,
    /// Bitwise or.
    Or,
    /// Bitwise and.
    And,
    /// Bitwise xor.
    Xor,
    /// Exchange.
    Xchg,
    /// Compare with the given expected value and exchange if equal.
    CmpXchg(u64),
}

impl<'a> MemoryMap<'a> {
    /// An empty map: every access is out of bounds.
    #[inline]
    pub fn new() -> MemoryMap<'a> {
        MemoryMap {
            regions: SmallVec::new(),
            shared: SmallVec::new(),
            stack: None,
            proof_context: None,
            _borrow: PhantomData,
        }
    }

    #[inline]
    fn push(&mut self, ptr: *mut u8, len: usize, writable: bool, kind: RegionKind) -> usize {
        let idx = self.regions.len();
        self.regions.push(Region {
            start: ptr as u64,
            len: len as u64,
            ptr,
            writable,
            kind,
        });
        idx
    }

    /// The regions of one run of `program`: `ctx` as the writable context, `stack` as the
    /// stack, first reset if it is shorter than [`Config::stack_size`](crate::Config::stack_size) (every frame must lie
    /// inside
    /// the buffer: compiled code relies on it), with only the entry frame accessible, and the
    /// program's shared regions (global data, map values).
    #[inline]
    pub fn for_run(
        ctx: &'a mut [u8],
        stack: &'a mut StackBuffer,
        program: &Program,
    ) -> MemoryMap<'a> {
        let config = program.config();
        let mut mem = MemoryMap::new();
        mem.add_mut(ctx, RegionKind::Context);
        stack.ensure(config.stack_size());
        mem.add_stack(stack.as_mut_slice());
        mem.set_stack_floor(mem.stack_top().wrapping_sub(config.stack_frame_size as u64));
        for r in program.shared() {
            mem.add_shared(&r.memory, r.writable);
        }
        mem.proof_context = program.proof_context();
        mem
    }

    /// What the running program's proofs assume of its context: the fingerprint of
    /// [`Program::proof_context`], `None` for an unverified program (or a map not built for a
    /// run of one).
    pub fn proof_context(&self) -> Option<u64> {
        self.proof_context
    }

    /// Makes shared memory accessible for the rest of the run (and keeps it alive until then),
    /// unless a region already starts at its address.
    pub fn add_shared(&mut self, memory: &Arc<SharedMemory>, writable: bool) {
        let start = memory.addr();
        if memory.is_empty() || self.regions.iter().any(|r| r.start == start) {
            return;
        }
        self.push(memory.base(), memory.len(), writable, RegionKind::Host);
        self.shared.push(memory.clone());
    }

    /// Makes the shared memory starting at `addr` inaccessible again (a submitted ring-buffer
    /// record); returns whether there was such a region.
    pub fn remove_shared(&mut self, addr: u64) -> bool {
        let Some(i) = self
            .regions
            .iter()
            .position(|r| r.start == addr && r.kind == RegionKind::Host)
        else {
            return false;
        };
        self.regions.remove(i);
        if let Some((idx, ..)) = self.stack.as_mut()
            && *idx > i
        {
            *idx -= 1;
        }
        true
    }

    /// The context buffer, for a helper that runs another program on it (a tail call).
    pub fn context_mut(&mut self) -> Option<&mut [u8]> {
        let r = self
            .regions
            .iter()
            .find(|r| r.kind == RegionKind::Context && r.writable)?;
        // SAFETY: a writable context region was made from a `&'a mut [u8]` (`add_mut`), so `ptr` and
        // `len` describe a live, exclusively borrowed slice; the returned borrow holds `self`
        // exclusively, so nothing else accesses it through this map meanwhile.
        Some(unsafe { core::slice::from_raw_parts_mut(r.ptr, r.len as usize) })
    }

    /// Makes `mem` readable and writable by the program.
    #[inline]
    pub fn add_mut(&mut self, mem: &'a mut [u8], kind: RegionKind) {
        self.push(mem.as_mut_ptr(), mem.len(), true, kind);
    }

    /// Makes `mem` readable (not writable) by the program.
    pub fn add_ref(&mut self, mem: &'a [u8], kind: RegionKind) {
        self.push(mem.as_ptr().cast_mut(), mem.len(), false, kind);
    }

    /// Makes `stack` the stack region; the whole of it is accessible until
    /// [`set_stack_floor`](Self::set_stack_floor) narrows it.
    #[inline]
    pub fn add_stack(&mut self, stack: &'a mut [u8]) {
        let ptr = stack.as_mut_ptr();
        let idx = self.push(ptr, stack.len(), true, RegionKind::Stack);
        self.stack = Some((idx, ptr as u64, ptr as u64 + stack.len() as u64, ptr));
    }

    /// Address one past the end of the stack (the entry frame's `r10`), or 0 without a stack.
    #[inline]
    pub fn stack_top(&self) -> u64 {
        self.stack.map_or(0, |(_, _, end, _)| end)
    }

    /// Restricts the stack region to `[floor, top)`; `floor` is clamped to the stack slice.
    #[inline]
    pub fn set_stack_floor(&mut self, floor: u64) {
        if let Some((idx, base, end, ptr)) = self.stack {
            let floor = floor.clamp(base, end);
            if let Some(r) = self.regions.get_mut(idx) {
                r.start = floor;
                r.len = end - floor;
                r.ptr = ptr.wrapping_add((floor - base) as usize);
            }
        }
    }

    /// The region holding all `len` bytes at `addr` (writable, for writes).
    #[inline(always)]
    fn locate(&self, addr: u64, len: u64, access: Access) -> Option<&Region> {
        self.regions.iter().find(|r| {
            let off = addr.wrapping_sub(r.start);
            off < r.len && r.len - off >= len && (access == Access::Read || r.writable)
        })
    }

    /// The pointer for `len` bytes at `addr`, if they lie in one region (writable, for writes).
    #[inline(always)]
    fn find(&self, addr: u64, len: u64, access: Access) -> Result<*mut u8, Fault> {
        match self.locate(addr, len, access) {
            Some(r) => Ok(r.ptr.wrapping_add(addr.wrapping_sub(r.start) as usize)),
            None => Err(Fault::OutOfBounds { addr, len, access }),
        }
    }

    /// Whether `len` bytes at `addr` may be accessed in the given direction.
    pub fn contains(&self, addr: u64, len: u64, access: Access) -> bool {
        len == 0 || self.find(addr, len, access).is_ok()
    }

    /// The kind of the region holding `addr`, if any.
    pub fn region_kind(&self, addr: u64) -> Option<RegionKind> {
        self.regions
            .iter()
            .find(|r| addr.wrapping_sub(r.start) < r.len)
            .map(|r| r.kind)
    }

    /// Loads a value of `size` bytes at `addr`, zero-extended, in host byte order.
    #[inline(always)]
    pub fn load(&self, addr: u64, size: Size) -> Result<u64, Fault> {
        let p = self.find(addr, size.bytes() as u64, Access::Read)?;
        // SAFETY: `find` proved that `size` bytes at `p` lie inside one region, which borrows live
        // memory for `'a` (so it is allocated and not freed); unaligned reads are allowed, and
        // every bit pattern is a valid integer.
        Ok(unsafe {
            match size {
                Size::B => u64::from(p.read()),
                Size::H => u64::from(p.cast::<u16>().read_unaligned()),
                Size::W => u64::from(p.cast::<u32>().read_unaligned()),
                Size::DW => p.cast::<u64>().read_unaligned(),
            }
        })
    }

    /// Stores the low `size` bytes of `value` at `addr`, in host byte order.
    #[inline(always)]
    pub fn store(&self, addr: u64, size: Size, value: u64) -> Result<(), Fault> {
        let p = self.find(addr, size.bytes() as u64, Access::Write)?;
        // SAFETY: `find` proved that `size` bytes at `p` lie inside one writable region, whose
        // slice was borrowed mutably (or handed over as writable by the host) for `'a`, so no
        // other reference reads it during the write; unaligned writes are allowed.
        unsafe {
            match size {
                Size::B => p.write(value as u8),
                Size::H => p.cast::<u16>().write_unaligned(value as u16),
                Size::W => p.cast::<u32>().write_unaligned(value as u32),
                Size::DW => p.cast::<u64>().write_unaligned(value),
            }
        }
        Ok(())
    }

    /// Performs an atomic read-modify-write of `size` ([`Size::W`] or [`Size::DW`]) bytes at
    /// `addr` with operand `value`, returning the old value (zero-extended).
    pub fn atomic(&self, addr: u64, size: Size, op: AtomicRmw, value: u64) -> Result<u64, Fault> {
        let bytes = if size == Size::W { 4u64 } else { 8 };
        let p = self.find(addr, bytes, Access::Write)?;
        if !addr.is_multiple_of(bytes) {
            return Err(Fault::Unaligned { addr });
        }
        if bytes == 4 {
            // SAFETY: `p` is inside one writable region for 4 bytes (checked by `find`), aligned
            // to 4 (checked above), and the memory is only accessed through this map during the
            // run, so treating it as an atomic is sound.
            let a = unsafe { AtomicU32::from_ptr(p.cast::<u32>()) };
            let v = value as u32;
            let old = match op {
                AtomicRmw::Add => a.fetch_add(v, Ordering::SeqCst),
                AtomicRmw::Or => a.fetch_or(v, Ordering::SeqCst),
                AtomicRmw::And => a.fetch_and(v, Ordering::SeqCst),
                AtomicRmw::Xor => a.fetch_xor(v, Ordering::SeqCst),
                AtomicRmw::Xchg => a.swap(v, Ordering::SeqCst),
                AtomicRmw::CmpXchg(expected) => a
                    .compare_exchange(expected as u32, v, Ordering::SeqCst, Ordering::SeqCst)
                    .unwrap_or_else(|x| x),
            };
            Ok(u64::from(old))
        } else {
            // SAFETY: as above, for 8 bytes aligned to 8.
            let a = unsafe { AtomicU64::from_ptr(p.cast::<u64>()) };
            Ok(match op {
                AtomicRmw::Add => a.fetch_add(value, Ordering::SeqCst),
                AtomicRmw::Or => a.fetch_or(value, Ordering::SeqCst),
                AtomicRmw::And => a.fetch_and(value, Ordering::SeqCst),
                AtomicRmw::Xor => a.fetch_xor(value, Ordering::SeqCst),
                AtomicRmw::Xchg => a.swap(value, Ordering::SeqCst),
                AtomicRmw::CmpXchg(expected) => a
                    .compare_exchange(expected, value, Ordering::SeqCst, Ordering::SeqCst)
                    .unwrap_or_else(|x| x),
            })
        }
    }

    /// Whether `len` bytes at `addr` lie in one region a probe read reaches: the context or
    /// memory the host or a helper added, never the stack (whose bytes a verified program's
    /// earlier runs may have left there).
    pub fn probe_readable(&self, addr: u64, len: u64) -> bool {
        self.locate(addr, len, Access::Read)
            .is_some_and(|r| r.kind != RegionKind::Stack)
    }

    /// A probe load (Linux's `BPF_PROBE_MEM`): the value of `size` bytes at `addr` as
    /// [`load`](Self::load) reads it, or 0 when they do not lie in one region
    /// [`probe_readable`](Self::probe_readable) allows.
    pub fn probe_load(&self, addr: u64, size: Size) -> u64 {
        if self.probe_readable(addr, size.bytes() as u64) {
            self.load(addr, size).unwrap_or(0)
        } else {
            0
        }
    }

    /// Copies `out.len()` bytes at `addr` into `out` (for helpers reading program memory).
    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), Fault> {
        if out.is_empty() {
            return Ok(());
        }
        let p = self.find(addr, out.len() as u64, Access::Read)?;
        // SAFETY: `find` proved the source range lies in one live region; `out` is a distinct
        // Rust-owned buffer (a `&mut` cannot alias the region's memory while this map borrows it).
        unsafe { core::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), out.len()) };
        Ok(())
    }

    /// Copies `data` to `addr` (for helpers writing program memory).
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<(), Fault> {
        if data.is_empty() {
            return Ok(());
        }
        let p = self.find(addr, data.len() as u64, Access::Write)?;
        // SAFETY: `find` proved the destination lies in one live writable region; `data` is a
        // shared Rust borrow, which cannot alias memory this map holds mutably.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_stay_inside_regions() {
        let mut ctx = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let base = ctx.as_ptr() as u64;
        let mut m = MemoryMap::new();
        m.add_mut(&mut ctx, RegionKind::Context);
        assert_eq!(m.load(base, Size::W), Ok(0x0403_0201));
        assert_eq!(m.load(base + 4, Size::W), Ok(0x0807_0605));
        assert!(m.load(base + 5, Size::W).is_err());
        assert!(m.load(base.wrapping_sub(1), Size::B).is_err());
        assert!(m.load(base + 8, Size::B).is_err());
        m.store(base + 7, Size::B, 0xff).unwrap();
        assert_eq!(m.load(base + 7, Size::B), Ok(0xff));
        // Huge addresses never wrap into the region.
        assert!(m.load(u64::MAX, Size::DW).is_err());
    }

    #[test]
    fn read_only_regions_reject_writes() {
        let data = [0u8; 4];
        let base = data.as_ptr() as u64;
        let mut m = MemoryMap::new();
        m.add_ref(&data, RegionKind::Host);
        assert!(m.load(base, Size::W).is_ok());
        assert_eq!(
            m.store(base, Size::B, 1),
            Err(Fault::OutOfBounds {
                addr: base,
                len: 1,
                access: Access::Write
            })
        );
    }

    #[test]
    fn stack_floor_hides_returned_frames() {
        let mut stack = [0u8; 64];
        let mut m = MemoryMap::new();
        m.add_stack(&mut stack);
        let top = m.stack_top();
        m.set_stack_floor(top - 16);
        assert!(m.load(top - 16, Size::DW).is_ok());
        assert!(m.load(top - 17, Size::B).is_err());
        m.set_stack_floor(top - 64);
        assert!(m.load(top - 64, Size::B).is_ok());
    }

    #[test]
    fn atomics_need_alignment() {
        let mut stack = StackBuffer::new(16);
        let mem = stack.as_mut_slice();
        let base = mem.as_ptr() as u64;
        let mut m = MemoryMap::new();
        m.add_mut(mem, RegionKind::Host);
        assert_eq!(m.atomic(base, Size::DW, AtomicRmw::Add, 5), Ok(0));
        assert_eq!(m.atomic(base, Size::DW, AtomicRmw::CmpXchg(5), 9), Ok(5));
        assert_eq!(m.load(base, Size::DW), Ok(9));
        assert_eq!(
            m.atomic(base + 2, Size::W, AtomicRmw::Add, 1),
            Err(Fault::Unaligned { addr: base + 2 })
        );
    }
}
