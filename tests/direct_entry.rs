//! Direct entries (`oxbpf::NativeEntry`): which programs get one, and that what they give on the
//! edges of their checks (the last byte of the stack reached through a pointer the compiler
//! cannot place, legacy packet loads, unaligned atomics, the stack's address) is what the
//! interpreter gives on the same buffers. `differential.rs` runs them on random programs.
#![cfg(feature = "jit")]

use oxbpf::{Access, Config, Execution, StackBuffer, TrapKind, Vm};
use oxbpf_core::{SharedMemory, SharedRegion};
use std::sync::Arc;

/// Counting off, as a direct entry requires; `verify` as given.
fn config(verify: bool) -> Config {
    Config {
        count_instructions: false,
        verify,
        ..Config::default()
    }
}

/// Runs `src` on the interpreter and, through its direct entry, on JIT and AOT code (each on the
/// same fresh buffers); every answer must be the interpreter's. Returns it.
fn direct_run(src: &str, ctx: &[u8], verify: bool) -> Result<u64, oxbpf::Trap> {
    let mut stack = StackBuffer::new(0);
    let mut mem = ctx.to_vec();
    let interp = Vm::with_config("interp", config(verify)).unwrap();
    stack.reset(interp.config().stack_size());
    let expected = interp
        .load_asm(src)
        .unwrap()
        .execute_on(&mut mem, &mut stack);
    let expected_mem = mem.clone();
    for backend in ["jit", "aot"] {
        let vm = Vm::with_config(backend, config(verify)).unwrap();
        let loaded = vm.load_asm(src).unwrap();
        let entry = loaded
            .native_entry()
            .unwrap_or_else(|| panic!("{backend}: no direct entry for\n{src}"));
        mem.copy_from_slice(ctx);
        stack.reset(vm.config().stack_size());
        let result = entry.call_on(&mut mem, &mut stack);
        assert_eq!(
            (&result, &mem),
            (&expected.result, &expected_mem),
            "{backend}: {src}"
        );
        // `execute_on` takes the same entry.
        mem.copy_from_slice(ctx);
        stack.reset(vm.config().stack_size());
        assert_eq!(
            loaded.execute_on(&mut mem, &mut stack),
            expected,
            "{backend}: {src}"
        );
    }
    expected.result
}

/// `r3` = `r10` read back from the stack, so its provenance is unknown to the compiler: its
/// accesses get the context's check first, and the stack's in the slow path.
const HIDDEN_FP: &str = "mov %r2, %r10\nstxdw [%r10-8], %r2\nldxdw %r3, [%r10-8]\n";

#[test]
fn the_stack_reached_through_a_hidden_pointer_is_allowed_to_its_last_byte() {
    // The last 8 bytes of the frame hold the spilled pointer itself.
    let src = format!("{HIDDEN_FP}ldxdw %r0, [%r3-8]\nsub %r0, %r10\nexit");
    assert_eq!(direct_run(&src, &[1, 2, 3], false), Ok(0));
    // The frame's first byte, written and read back.
    let src = format!("{HIDDEN_FP}stb [%r3-512], 0x5a\nldxb %r0, [%r3-512]\nexit");
    assert_eq!(direct_run(&src, &[], false), Ok(0x5a));
    // The last byte of the frame, by a one-byte store at the end.
    let src = format!("{HIDDEN_FP}stb [%r3-1], 0x11\nldxb %r0, [%r10-1]\nexit");
    assert_eq!(direct_run(&src, &[], false), Ok(0x11));
}

#[test]
fn accesses_just_outside_the_frame_trap_with_their_direction() {
    let below = format!("{HIDDEN_FP}ldxdw %r0, [%r3-513]\nexit");
    let trap = direct_run(&below, &[0; 8], false).unwrap_err();
    assert_eq!(trap.pc, 3);
    assert!(matches!(
        trap.kind,
        TrapKind::OutOfBounds {
            len: 8,
            access: Access::Read,
            ..
        }
    ));
    let above = format!("{HIDDEN_FP}stw [%r3-2], 1\nmov %r0, 0\nexit");
    let trap = direct_run(&above, &[0; 8], false).unwrap_err();
    assert_eq!(trap.pc, 3);
    assert!(matches!(
        trap.kind,
        TrapKind::OutOfBounds {
            len: 4,
            access: Access::Write,
            ..
        }
    ));
}

#[test]
fn the_context_is_reached_to_its_last_byte_and_no_further() {
    let ctx: Vec<u8> = (1..=16).collect();
    assert_eq!(
        direct_run("ldxdw %r0, [%r1+8]\nexit", &ctx, false),
        Ok(u64::from_le_bytes([9, 10, 11, 12, 13, 14, 15, 16]))
    );
    let trap = direct_run("ldxdw %r0, [%r1+9]\nexit", &ctx, false).unwrap_err();
    assert!(matches!(trap.kind, TrapKind::OutOfBounds { len: 8, .. }));
    // Verified: the check of a proven access is gone, the other keeps its own.
    let src = "mov %r0, 0\njlt %r2, 8, +1\nldxdw %r0, [%r1]\nldxw %r3, [%r1+8]\nadd %r0, %r3\nexit";
    assert_eq!(
        direct_run(src, &[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0], true),
        Ok(3)
    );
    assert!(direct_run(src, &[1, 0, 0, 0, 0, 0, 0, 0], true).is_err());
}

#[test]
fn packet_loads_and_unaligned_atomics_trap_as_on_the_interpreter() {
    let trap = direct_run("ldabsw 6\nexit", &[0; 8], false).unwrap_err();
    assert!(matches!(
        trap.kind,
        TrapKind::OutOfBounds {
            addr: _,
            len: 4,
            access: Access::Read
        }
    ));
    assert_eq!(
        direct_run("ldabsh 6\nexit", &[0, 0, 0, 0, 0, 0, 0x12, 0x34], false),
        Ok(0x1234)
    );
    let trap = direct_run("mov %r2, 1\nlock add [%r10-12], %r2\nexit", &[], false).unwrap_err();
    assert_eq!(trap.pc, 1);
    assert!(matches!(trap.kind, TrapKind::UnalignedAtomic { .. }));
}

#[test]
fn a_direct_run_sees_the_stack_where_the_caller_put_it() {
    let mut stack = StackBuffer::new(4096);
    let top = stack.top();
    let vm = Vm::with_config("jit", config(false)).unwrap();
    let loaded = vm.load_asm("mov %r0, %r10\nexit").unwrap();
    let entry = loaded.native_entry().unwrap();
    assert_eq!(entry.call_on(&mut [], &mut stack), Ok(top));
    // And the interpreter on the same buffer sees the same address.
    direct_run("mov %r0, %r10\nexit", &[], false).unwrap();
}

#[test]
fn programs_that_need_the_host_keep_the_framed_entry() {
    let src = "mov %r0, 7\nexit";
    let direct = |cfg: Config, src: &str| {
        let vm = Vm::with_config("jit", cfg).unwrap();
        vm.load_asm(src).unwrap().native_entry().is_some()
    };
    assert!(direct(config(true), src));
    // Counting, a budget, helper calls and local calls all need the context block.
    assert!(!direct(Config::default(), src));
    let budget = Config {
        instruction_budget: Some(100),
        ..config(true)
    };
    assert!(!direct(budget, src));
    let mut helpers = Vm::with_config("jit", config(false)).unwrap();
    helpers.register_helper(1, "one", |_, _| Ok(1));
    assert!(
        helpers
            .load_asm("call 1\nexit")
            .unwrap()
            .native_entry()
            .is_none()
    );
    assert!(!direct(
        config(false),
        "call local f\nexit\nf:\nmov %r0, 1\nexit"
    ));
    // The interpreter has none.
    let interp = Vm::with_config("interp", config(true)).unwrap();
    assert!(interp.load_asm(src).unwrap().native_entry().is_none());
}

#[test]
fn shared_memory_keeps_the_runtime_that_knows_it() {
    // A region only the runtime's memory map knows of: a direct entry would refuse it.
    let memory = Arc::new(SharedMemory::new(16));
    let src = format!(
        "lddw %r1, {:#x}\nstdw [%r1+8], 7\nldxdw %r0, [%r1+8]\nexit",
        memory.addr()
    );
    for backend in ["interp", "jit", "aot"] {
        let vm = Vm::with_config(backend, config(false)).unwrap();
        let program = oxbpf::Program::from_asm(&src, vm.config(), vm.helpers())
            .unwrap()
            .with_shared(vec![SharedRegion {
                memory: memory.clone(),
                writable: true,
            }]);
        let loaded = vm.load_program(program).unwrap();
        assert!(loaded.native_entry().is_none(), "{backend}");
        let e = loaded.execute_counted(&mut []);
        assert_eq!(
            e,
            Execution {
                result: Ok(7),
                instructions: 0
            },
            "{backend}"
        );
    }
}
