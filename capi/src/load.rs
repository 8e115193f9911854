//! Loading code (bytecode, ELF objects), unloading it, verifying it and running it.

use crate::ffi;
use crate::handle::{Code, Inner, LddwHelpers, VmState, guard, read, with_code, with_vm, write};
use crate::trap::finish_run;
use libc::c_char;
use oxbpf::isa::{Imm64Kind, decode};
use oxbpf::{Error, Insn, Loaded};

/// Why code did not load, before the VM's own errors.
fn occupied() -> String {
    "code is already loaded into this VM: call ebpf_unload_code first".to_owned()
}

/// `f(x)`, if the host set `f`.
fn call32(f: Option<unsafe extern "C" fn(u32) -> u64>, x: u32) -> Option<u64> {
    // SAFETY: `ebpf_set_lddw_helpers`' caller guarantees each resolver is callable with its
    // signature while programs load.
    f.map(|f| unsafe { f(x) })
}

/// `map_val(by(x)) + offset`, if the host set both.
fn value_of(
    by: Option<unsafe extern "C" fn(u32) -> u64>,
    map_val: Option<unsafe extern "C" fn(u64) -> u64>,
    x: u32,
    offset: u64,
) -> Option<u64> {
    let map = call32(by, x)?;
    // SAFETY: as in `call32`.
    map_val.map(|f| unsafe { f(map) }.wrapping_add(offset))
}

/// Applies the host's `lddw` resolvers to every `lddw` whose kind has one.
fn resolve_lddw(insns: &mut [Insn], h: &LddwHelpers) {
    for insn in insns {
        let Insn::LoadImm64 { kind, imm, .. } = insn else {
            continue;
        };
        let (low, high) = (*imm as u32, *imm >> 32);
        let value = match *kind {
            Imm64Kind::MapFd => call32(h.map_by_fd, low),
            Imm64Kind::MapIdx => call32(h.map_by_idx, low),
            Imm64Kind::MapValue => value_of(h.map_by_fd, h.map_val, low, high),
            Imm64Kind::MapIdxValue => value_of(h.map_by_idx, h.map_val, low, high),
            Imm64Kind::BtfId => call32(h.var_addr, low),
            Imm64Kind::Func => call32(h.code_addr, low),
            Imm64Kind::Value => None,
        };
        if let Some(v) = value {
            *kind = Imm64Kind::Value;
            *imm = v;
        }
    }
}

/// Decodes `code` and applies the host's resolvers; errors read as the load error would.
fn instructions(inner: &Inner, code: &[u8]) -> Result<Vec<Insn>, Error> {
    let mut insns = decode(code).map_err(|e| Error::Load(e.into()))?;
    resolve_lddw(&mut insns, &inner.lddw);
    Ok(insns)
}

/// The body shared by the calls taking bytecode: decodes `code` and applies the host's
/// resolvers, runs `f` on the VM and the instructions, and reports its error in `errmsg`.
///
/// # Safety
/// As [`ebpf_load`].
unsafe fn with_bytecode(
    vm: *const VmState,
    code: *const u8,
    code_len: u32,
    errmsg: *mut *mut c_char,
    f: impl FnOnce(&VmState, Vec<Insn>) -> Result<(), String>,
) -> i32 {
    guard(-1, || {
        // SAFETY: the caller guarantees `code_len` readable bytes at a non-NULL `code`.
        let code = unsafe { ffi::bytes(code, code_len as usize) };
        let result = with_vm(vm, |s| {
            let code = code.ok_or("code is NULL")?;
            if code.is_empty() {
                return Err("code is empty".to_owned());
            }
            let insns = instructions(&s.read(), code).map_err(|e| e.to_string())?;
            f(s, insns)
        })
        .unwrap_or_else(|| Err("not a live VM handle".to_owned()));
        // SAFETY: the caller guarantees a non-NULL `errmsg` is writable.
        unsafe { ffi::report(errmsg, result, |()| 0) }
    })
}

/// Loads bytecode (see the header).
///
/// # Safety
/// A non-NULL `code` must point to `code_len` readable bytes; a non-NULL `errmsg` must be
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_load(
    vm: *mut VmState,
    code: *const u8,
    code_len: u32,
    errmsg: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_bytecode(vm, code, code_len, errmsg, |s, insns| {
            let mut inner = s.write();
            if inner.code.is_some() {
                return Err(occupied());
            }
            let maps = read(&s.shared.own_maps).clone();
            let loaded = inner
                .vm
                .load_with_maps(insns, &maps)
                .map_err(|e| e.to_string())?;
            install(&mut inner, loaded);
            Ok(())
        })
    }
}

/// Makes `loaded` the VM's code.
pub(crate) fn install(inner: &mut Inner, loaded: Loaded) {
    let program_type = inner.vm.program_type();
    install_typed(inner, loaded, program_type);
}

/// Makes `loaded`, of type `program_type`, the VM's code.
fn install_typed(inner: &mut Inner, loaded: Loaded, program_type: Option<oxbpf::ProgramType>) {
    inner.code = Some(Code {
        loaded,
        compiled: Vec::new(),
        program_type,
    });
}

/// Loads a program from an ELF object (see the header).
///
/// # Safety
/// A non-NULL `elf` must point to `elf_len` readable bytes; a non-NULL `program` must be a
/// NUL-terminated string; a non-NULL `errmsg` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_load_elf(
    vm: *mut VmState,
    elf: *const u8,
    elf_len: usize,
    program: *const c_char,
    errmsg: *mut *mut c_char,
) -> i32 {
    guard(-1, || {
        // SAFETY: the caller guarantees `elf_len` readable bytes at a non-NULL `elf`.
        let elf = unsafe { ffi::bytes(elf, elf_len) };
        let name = if program.is_null() {
            Ok(None)
        } else {
            // SAFETY: the caller passes a NUL-terminated string.
            unsafe { ffi::str(program) }
                .map(Some)
                .ok_or("program name is not UTF-8")
        };
        let result = with_vm(vm, |s| {
            let mut inner = s.write();
            if inner.code.is_some() {
                return Err(occupied());
            }
            let elf = elf.ok_or("ELF object is NULL")?;
            let name = name?;
            let obj = oxbpf::Object::open_with(elf, &inner.open).map_err(|e| e.to_string())?;
            let program_type = obj
                .program_type(&inner.vm, name)
                .map_err(|e| e.to_string())?;
            let loaded = obj.load(&inner.vm, name).map_err(|e| e.to_string())?;
            *write(&s.shared.code_maps) = loaded.maps().clone();
            install_typed(&mut inner, loaded, program_type);
            Ok(())
        })
        .unwrap_or_else(|| Err("not a live VM handle".to_owned()));
        // SAFETY: the caller guarantees a non-NULL `errmsg` is writable.
        unsafe { ffi::report(errmsg, result, |()| 0) }
    })
}

/// Unloads the VM's code and everything compiled from it.
///
/// # Safety
/// Any pointer value is accepted; no compiled function of this VM may be running or called
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_unload_code(vm: *mut VmState) {
    guard((), || {
        with_vm(vm, |s| {
            let code = s.write().code.take();
            *write(&s.shared.code_maps) = oxbpf::MapSet::new();
            drop(code);
        });
    })
}

/// Runs the loaded program on `mem` (see the header).
///
/// # Safety
/// A non-NULL `mem` must point to `mem_len` writable bytes not accessed by anyone else during
/// the run; a non-NULL `bpf_return_value` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ebpf_exec(
    vm: *const VmState,
    mem: *mut u8,
    mem_len: usize,
    bpf_return_value: *mut u64,
) -> i32 {
    guard(-1, || {
        if bpf_return_value.is_null() {
            return -1;
        }
        // SAFETY: the caller guarantees `mem_len` writable, unaliased bytes at a non-NULL `mem`.
        let Some(mem) = (unsafe { ffi::bytes_mut(mem, mem_len) }) else {
            return -1;
        };
        with_code(vm, |s, exe| {
            let Some(exe) = exe else {
                return -1;
            };
            match finish_run(&s.shared, exe.run(mem)) {
                Some(r0) => {
                    // SAFETY: checked non-NULL; the caller guarantees it is writable.
                    unsafe { bpf_return_value.write(r0) };
                    0
                }
                None => -1,
            }
        })
        .unwrap_or(-1)
    })
}

/// Runs the loaded program, of a type with a packet (XDP, the `__sk_buff` types), over the
/// packet in `packet[..*len]` (see the header).
///
/// # Safety
/// A non-NULL `packet` must point to `capacity` writable bytes, a non-NULL `len` and
/// `bpf_return_value` must be writable, and none may be accessed by anyone else during the run.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_exec_packet(
    vm: *const VmState,
    packet: *mut u8,
    len: *mut usize,
    capacity: usize,
    bpf_return_value: *mut u64,
) -> i32 {
    guard(-1, || {
        if bpf_return_value.is_null() || len.is_null() {
            return -1;
        }
        // SAFETY: checked non-NULL; the caller guarantees it is readable and writable.
        let n = unsafe { len.read() };
        if n > capacity {
            return -1;
        }
        // SAFETY: the caller guarantees `capacity` writable, unaliased bytes at `packet`.
        let Some(buf) = (unsafe { ffi::bytes_mut(packet, capacity) }) else {
            return -1;
        };
        with_vm(vm, |s| {
            let inner = s.read();
            let Some(code) = &inner.code else {
                return -1;
            };
            let Some(t) = code.program_type else {
                return -1;
            };
            let Ok(mut ctx) = oxbpf::context::PacketContext::new(t, &buf[..n]) else {
                return -1;
            };
            if let Some((sock, tcp)) = &inner.socket
                && ctx.set_socket(sock, tcp).is_err()
            {
                return -1;
            }
            let result = ctx.run(&code.loaded);
            let Some(r0) = finish_run(&s.shared, result) else {
                return -1;
            };
            let out = ctx.packet();
            if out.len() > capacity {
                return -1;
            }
            buf[..out.len()].copy_from_slice(out);
            // SAFETY: both checked non-NULL; the caller guarantees they are writable.
            unsafe {
                len.write(out.len());
                bpf_return_value.write(r0);
            }
            0
        })
        .unwrap_or(-1)
    })
}

/// Verifies bytecode as `ebpf_load` would load it.
///
/// # Safety
/// As [`ebpf_load`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oxbpf_verify(
    vm: *mut VmState,
    code: *const u8,
    code_len: u32,
    errmsg: *mut *mut c_char,
) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_bytecode(vm, code, code_len, errmsg, |s, insns| {
            let maps = read(&s.shared.own_maps).clone();
            let (verified, _) = s.read().vm.verify_with_maps(insns, &maps, false);
            verified.map(drop).map_err(|e| match e {
                Error::Verify(v) => v.to_string(),
                other => other.to_string(),
            })
        })
    }
}
