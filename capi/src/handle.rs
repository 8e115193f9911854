//! The VM behind a `struct ebpf_vm *`, the registry of live handles that lets every call reject
//! a pointer `ebpf_create` did not return, and the guard that keeps a bug from unwinding into C.

use oxbpf::{Executable, Loaded, MapSet, Proto, Trap, Vm};
use oxbpf_cranelift::thunk::Thunk;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A C helper: `r0 = f(r1, r2, r3, r4, r5)`.
pub(crate) type CHelper = unsafe extern "C" fn(u64, u64, u64, u64, u64) -> u64;

/// A helper the host registered (`ebpf_register`, `oxbpf_register_helper`).
pub(crate) struct HostHelper {
    /// The name ELF programs call it by.
    pub name: String,
    /// The function.
    pub func: CHelper,
    /// What the verifier checks its calls against; `None`: verified programs may call it only
    /// where the host allows unknown helpers.
    pub proto: Option<Proto>,
}

/// The host's trap reporter, `error_printf(stream, format, ...)`.
pub(crate) type ErrorPrintf =
    unsafe extern "C" fn(*mut libc::FILE, *const libc::c_char, ...) -> libc::c_int;

/// The host's `lddw` resolvers (`ebpf_set_lddw_helpers`).
#[derive(Clone, Copy, Default)]
pub(crate) struct LddwHelpers {
    pub map_by_fd: Option<unsafe extern "C" fn(u32) -> u64>,
    pub map_by_idx: Option<unsafe extern "C" fn(u32) -> u64>,
    pub map_val: Option<unsafe extern "C" fn(u64) -> u64>,
    pub var_addr: Option<unsafe extern "C" fn(u32) -> u64>,
    pub code_addr: Option<unsafe extern "C" fn(u32) -> u64>,
}

/// What runs and helpers may touch without the VM's lock (a helper may use the maps while its
/// program runs): how the last run ended, who reports traps, the maps.
#[derive(Default)]
pub(crate) struct Shared {
    pub last_trap: Mutex<Option<Trap>>,
    /// Whether `last_trap` holds a trap (so normal runs need not lock it).
    pub trapped: std::sync::atomic::AtomicBool,
    pub error_printf: Mutex<Option<ErrorPrintf>>,
    /// Maps the host created (`oxbpf_map_create`).
    pub own_maps: RwLock<MapSet>,
    /// Maps of the loaded ELF object.
    pub code_maps: RwLock<MapSet>,
}

/// A lock's guard, whether or not a holder panicked.
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// A lock's guard for writing, whether or not a holder panicked.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A mutex's guard, whether or not a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A native function for the loaded code: its thunk and what the thunk's state points to.
pub(crate) struct Compiled {
    /// Dropped first: no call can be in progress once the VM's lock is held for writing.
    pub thunk: Thunk,
    pub _bound: Arc<crate::compiled::Bound>,
}

/// The loaded code.
pub(crate) struct Code {
    pub loaded: Loaded,
    pub compiled: Vec<Compiled>,
    /// The program's type, when it has one (the VM's choice, or its ELF section's).
    pub program_type: Option<oxbpf::ProgramType>,
}

/// Everything calls that change the VM change.
pub(crate) struct Inner {
    pub vm: Vm,
    pub helpers: BTreeMap<u32, HostHelper>,
    pub unwind: Option<u32>,
    pub lddw: LddwHelpers,
    pub code: Option<Code>,
    /// How the next `ebpf_load_elf` opens its object (`oxbpf_set_kconfig`,
    /// `oxbpf_set_map_size`).
    pub open: oxbpf::OpenOptions,
    /// The socket `oxbpf_exec_packet` puts in the context (`struct bpf_sock`, then
    /// `struct bpf_tcp_sock` bytes), set by `oxbpf_set_socket`.
    pub socket: Option<(Vec<u8>, Vec<u8>)>,
}

/// The object a `struct ebpf_vm *` points to.
pub struct VmState {
    pub(crate) name: &'static CStr,
    pub(crate) inner: RwLock<Inner>,
    pub(crate) shared: Arc<Shared>,
    /// Bumped whenever `inner` is taken for writing (see [`VmState::write`]): a thread's
    /// remembered executable (see [`with_code`]) is the VM's code while this has not changed.
    pub(crate) code_gen: AtomicU64,
}

/// The live VMs by address. A call clones the `Arc` and lets the registry go, so a long run
/// holds nothing global, and a VM destroyed during a call on another thread is freed when that
/// call ends.
static LIVE: RwLock<BTreeMap<usize, Arc<VmState>>> = RwLock::new(BTreeMap::new());

/// Makes `state` a live handle.
pub(crate) fn register(state: VmState) -> *mut VmState {
    let state = Arc::new(state);
    let ptr = Arc::as_ptr(&state) as *mut VmState;
    LIVE.write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(ptr as usize, state);
    ptr
}

/// Bumped by every destruction, so that a thread's cached handle (see [`with_vm`]) is
/// checked against the registry again.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The VM a thread used last (see [`with_vm`]) and, once a run asked for it, its code.
struct Last {
    /// The VM's address.
    addr: usize,
    /// The [`GENERATION`] it was found live in.
    generation: u64,
    state: Arc<VmState>,
    /// The VM's executable and the [`VmState::code_gen`] it was taken at (`None` inside: no
    /// code was loaded then).
    code: Option<(u64, Option<Arc<dyn Executable>>)>,
}

thread_local! {
    /// The VM this thread used last.
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
}

/// Ends the handle `ptr`, if live; returns whether it was.
pub(crate) fn unregister(ptr: *const VmState) -> bool {
    let state = {
        let mut live = LIVE.write().unwrap_or_else(PoisonError::into_inner);
        GENERATION.fetch_add(1, Ordering::AcqRel);
        live.remove(&(ptr as usize))
    };
    // This thread's cache lets go at once; another thread's when it next uses a VM.
    LAST.with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = None;
        }
    });
    // Dropped here, outside the registry's lock: freeing code takes a while.
    state.is_some()
}

/// Runs `f` on the live VM `ptr`; `None` for NULL or a pointer that is not a live VM. Nothing
/// is dereferenced: the pointer only selects an entry of the registry.
///
/// A thread remembers the VM it used last: while no VM has been destroyed since, using it
/// again touches no lock and no shared counter (the cost of an `ebpf_exec`). A VM destroyed
/// while another thread remembers it is freed when that thread next uses a VM, or ends.
pub(crate) fn with_vm<R>(ptr: *const VmState, f: impl FnOnce(&VmState) -> R) -> Option<R> {
    let addr = ptr as usize;
    let generation = GENERATION.load(Ordering::Acquire);
    let mut f = Some(f);
    // The remembered VM, used in place (a nested call for another VM finds the cache borrowed
    // and goes through the registry).
    let hit = LAST.with(|last| {
        let last = last.try_borrow().ok()?;
        match &*last {
            Some(l) if l.addr == addr && l.generation == generation => {
                f.take().map(|f| f(&l.state))
            }
            _ => None,
        }
    });
    if hit.is_some() {
        return hit;
    }
    let state = live(addr, generation)?;
    f.take().map(|f| f(&state))
}

/// The live VM at `addr` from the registry, remembered as this thread's last.
fn live(addr: usize, generation: u64) -> Option<Arc<VmState>> {
    let state = LIVE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&addr)
        .cloned()?;
    LAST.with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some(Last {
                addr,
                generation,
                state: state.clone(),
                code: None,
            });
        }
    });
    Some(state)
}

/// Runs `f` on the live VM `ptr` and its loaded code (`None` when none is loaded), as
/// [`with_vm`] does, without taking the VM's lock while the code this thread used last is
/// still the VM's: the cost of an `ebpf_exec` is then the run's.
///
/// The thread keeps the executable it used last alive, so code unloaded or replaced while a
/// run on another thread is still on it finishes that run; it is freed when every thread that
/// ran it has moved on to other code (or ended).
pub(crate) fn with_code<R>(
    ptr: *const VmState,
    f: impl FnOnce(&VmState, Option<&dyn Executable>) -> R,
) -> Option<R> {
    let addr = ptr as usize;
    let generation = GENERATION.load(Ordering::Acquire);
    let mut f = Some(f);
    let hit = LAST.with(|last| {
        let last = last.try_borrow().ok()?;
        let l = last.as_ref()?;
        if l.addr != addr || l.generation != generation {
            return None;
        }
        let (at, exe) = l.code.as_ref()?;
        if *at != l.state.code_gen.load(Ordering::Acquire) {
            return None;
        }
        f.take().map(|f| f(&l.state, exe.as_deref()))
    });
    if hit.is_some() {
        return hit;
    }
    let remembered = LAST.with(|last| {
        let last = last.try_borrow().ok()?;
        let l = last.as_ref()?;
        (l.addr == addr && l.generation == generation).then(|| l.state.clone())
    });
    let state = match remembered {
        Some(s) => s,
        None => live(addr, generation)?,
    };
    let (at, exe) = {
        let inner = state.read();
        // Writers bump it while they hold the lock: under it, it names this code.
        let at = state.code_gen.load(Ordering::Acquire);
        (
            at,
            inner.code.as_ref().map(|c| c.loaded.shared_executable()),
        )
    };
    LAST.with(|last| {
        if let Ok(mut last) = last.try_borrow_mut()
            && let Some(l) = last.as_mut()
            && l.addr == addr
        {
            l.code = Some((at, exe.clone()));
        }
    });
    f.take().map(|f| f(&state, exe.as_deref()))
}

impl VmState {
    /// The settings and code, shared.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Inner> {
        read(&self.inner)
    }

    /// The settings and code, to change (which makes every thread's remembered executable of
    /// this VM stale: see [`with_code`]).
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        let guard = write(&self.inner);
        self.code_gen.fetch_add(1, Ordering::AcqRel);
        guard
    }
}

/// Runs `f`, turning a panic (a bug; no input should cause one) into `fallback` instead of
/// unwinding into C.
pub(crate) fn guard<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}
