//! The execution contract, instruction class by instruction class, on every backend.
//!
//! Each case runs on every registered backend; all must agree on `r0` or the trap (kind and pc)
//! and on the instruction count, and the agreed result is compared with a value worked out by
//! hand from the ISA's definition.

use oxbpf::{BACKENDS, Config, Error, Execution, StackBuffer, Trap, TrapKind, Vm};
use oxbpf_core::{Access, CheckErrorKind, HelperStop, LoadError};

/// A VM that does not verify: the contract is about what runs, traps included, and the
/// verifier keeps most trapping programs from loading at all.
fn vm(backend: &str, config: &Config) -> Vm {
    let config = Config {
        verify: false,
        ..config.clone()
    };
    let mut vm = Vm::with_config(backend, config).unwrap();
    vm.register_helper(1, "add3", |_, [a, b, c, ..]| Ok(a + b + c));
    vm.register_helper(2, "fail", |_, _| Err(HelperStop::Error("boom".into())));
    vm.register_helper(3, "stop", |_, [a, ..]| Err(HelperStop::Exit(a)));
    vm.register_helper(4, "read_u32", |ctx, [addr, ..]| {
        let mut b = [0u8; 4];
        ctx.memory
            .read(addr, &mut b)
            .map_err(|k| HelperStop::Error(k.to_string()))?;
        Ok(u64::from(u32::from_le_bytes(b)))
    });
    vm
}

/// Runs `src` on every backend with `mem`; asserts they agree; returns the common execution.
fn exec_cfg(src: &str, mem: &[u8], config: &Config) -> Execution {
    let mut first: Option<(String, Execution)> = None;
    // The same context and stack buffers for every backend, so addresses agree too.
    let mut m = mem.to_vec();
    let mut stack = StackBuffer::new(config.stack_size());
    for &b in BACKENDS {
        let prog = vm(b, config)
            .load_asm(src)
            .unwrap_or_else(|e| panic!("{b}: {e}\n{src}"));
        m.copy_from_slice(mem);
        stack.reset(config.stack_size());
        let e = prog.execute_on(&mut m, &mut stack);
        match &first {
            None => first = Some((b.to_owned(), e)),
            Some((fb, fe)) => assert_eq!(&e, fe, "{b} and {fb} disagree on\n{src}"),
        }
    }
    first.unwrap().1
}

fn exec(src: &str, mem: &[u8]) -> Result<u64, Trap> {
    exec_cfg(src, mem, &Config::default()).result
}

fn r0(src: &str) -> u64 {
    exec(src, &[]).unwrap_or_else(|t| panic!("{t}\n{src}"))
}

fn load_err(src: &str) -> LoadError {
    match vm("interp", &Config::default()).load_asm(src) {
        Err(Error::Load(e)) => e,
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn signed_division_overflow_and_division_by_zero() {
    // INT64_MIN / -1 = INT64_MIN and INT64_MIN % -1 = 0 (no overflow trap).
    assert_eq!(
        r0("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit"),
        0x8000_0000_0000_0000
    );
    assert_eq!(
        r0("lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit"),
        0
    );
    // 32-bit: INT32_MIN / -1 = INT32_MIN, zero-extended.
    assert_eq!(
        r0("mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit"),
        0x8000_0000
    );
    assert_eq!(r0("mov32 %r0, 0x80000000\nsmod32 %r0, -1\nexit"), 0);
    // Division by zero gives 0; modulo by zero keeps the dividend (32-bit: zero-extended).
    assert_eq!(r0("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit"), 0);
    assert_eq!(r0("mov %r0, -7\nsdiv %r0, 0\nexit"), 0);
    assert_eq!(r0("mov %r0, 7\nmod %r0, 0\nexit"), 7);
    assert_eq!(r0("lddw %r0, 0x100000005\nmod32 %r0, 0\nexit"), 5);
    assert_eq!(r0("mov %r0, -7\nsmod %r0, 0\nexit"), (-7i64) as u64);
    // Signed remainder takes the dividend's sign: -7 s% 3 = -1, 7 s% -3 = 1.
    assert_eq!(r0("mov %r0, -7\nsmod %r0, 3\nexit"), u64::MAX);
    assert_eq!(r0("mov %r0, 7\nsmod %r0, -3\nexit"), 1);
    // Unsigned division treats -1 as 2^64 - 1.
    assert_eq!(r0("mov %r0, -1\ndiv %r0, 2\nexit"), u64::MAX / 2);
}

#[test]
fn a_quotient_multiplied_back_is_exact_for_every_divisor() {
    // `div q, b; mul q, b`, which compilers emit for `%` (compiled as `a - a % b`), counting
    // and not counting (where JIT and AOT take their direct entries).
    let uncounted = Config {
        count_instructions: false,
        ..Config::default()
    };
    let run = |a: u64, div_mul: &str| {
        let src = format!("lddw %r0, {a:#x}\n{div_mul}\nexit");
        let counted = exec_cfg(&src, &[], &Config::default()).result;
        assert_eq!(exec_cfg(&src, &[], &uncounted).result, counted, "{src}");
        counted.unwrap()
    };
    let a = 0xfedc_ba98_7654_3211u64;
    for b in [0u64, 1, 2, 7, 0x1_0000_0001, u64::MAX] {
        let set_b = format!("lddw %r3, {b:#x}\n");
        let q = a.checked_div(b).unwrap_or(0);
        assert_eq!(
            run(a, &format!("{set_b}div %r0, %r3\nmul %r0, %r3")),
            q.wrapping_mul(b)
        );
        // The whole `%`: `a - a / b * b` (the subtraction of the difference is the remainder).
        let rem =
            format!("{set_b}mov %r6, %r0\ndiv %r0, %r3\nmul %r0, %r3\nsub %r6, %r0\nmov %r0, %r6");
        assert_eq!(run(a, &rem), a.checked_rem(b).unwrap_or(a));
        let rem32 = format!(
            "{set_b}mov %r6, %r0\ndiv32 %r0, %r3\nmul32 %r0, %r3\nsub32 %r6, %r0\nmov %r0, %r6"
        );
        assert_eq!(
            run(a, &rem32),
            u64::from((a as u32).checked_rem(b as u32).unwrap_or(a as u32))
        );
        let (a32, b32) = (a as u32, b as u32);
        let q32 = a32.checked_div(b32).unwrap_or(0);
        assert_eq!(
            run(a, &format!("{set_b}div32 %r0, %r3\nmul32 %r0, %r3")),
            u64::from(q32.wrapping_mul(b32))
        );
    }
    assert_eq!(run(a, "div %r0, 10\nmul %r0, 10"), a / 10 * 10);
    assert_eq!(run(a, "div %r0, 0\nmul %r0, 0"), 0);
    // The divisor is the dividend: no remainder to use (17 / 17 * 17).
    assert_eq!(run(17, "div %r0, %r0\nmul %r0, %r0"), 1);
    // A different divisor in the `mul`, or a jump target between: each on its own.
    assert_eq!(
        run(a, "mov %r3, 7\nmov %r4, 3\ndiv %r0, %r3\nmul %r0, %r4"),
        a / 7 * 3
    );
    assert_eq!(
        run(a, "mov %r3, 7\ndiv %r0, %r3\nja +0\nmul %r0, %r3"),
        a / 7 * 7
    );
}

/// What the `cmp` program of the scanning test returns: `a[i] - b[i]` at the first difference,
/// 0 at a shared NUL, or `Err` when `b` (the second half) runs off the end first.
fn strcmp_halves(mem: &[u8], half: usize) -> Result<u64, ()> {
    for i in 0.. {
        let b = *mem.get(half + i).ok_or(())?;
        let a = mem[i];
        if a != b {
            return Ok(u64::from(a).wrapping_sub(u64::from(b)));
        }
        if a == 0 {
            return Ok(0);
        }
    }
    unreachable!("the second half ends")
}

/// Scanning loops (a register stepped by 1, exits on the data), which compiled code versions in
/// chunks: every length and stop position, found or run off the end, counting and not.
#[test]
fn scanning_loops_stop_where_the_data_says_or_trap_at_the_end() {
    let uncounted = Config {
        count_instructions: false,
        ..Config::default()
    };
    // The sum of the bytes before the first NUL.
    let sum = "mov %r0, 0\nloop:\nldxb %r2, [%r1+0]\njeq %r2, 0, done\nadd %r0, %r2\n\
               add %r1, 1\nja loop\ndone:\nexit";
    // strcmp of the two halves, the second read first.
    let cmp = "mov %r0, 0\nrsh %r2, 1\nloop:\nmov %r4, %r1\nadd %r4, %r2\nldxb %r5, [%r4+0]\n\
               ldxb %r3, [%r1+0]\njne %r3, %r5, diff\njeq %r3, 0, done\nadd %r1, 1\nja loop\n\
               diff:\nmov %r0, %r3\nsub %r0, %r5\ndone:\nexit";
    for len in 0..24usize {
        for nul in (0..len).map(Some).chain([None]) {
            let mut mem: Vec<u8> = (0..len).map(|i| 1 + i as u8).collect();
            if let Some(at) = nul {
                mem[at] = 0;
            }
            let expected = match nul {
                Some(at) => Ok(mem[..at].iter().map(|&b| u64::from(b)).sum::<u64>()),
                None => Err(len),
            };
            for config in [&Config::default(), &uncounted] {
                let got = exec_cfg(sum, &mem, config).result;
                match (&expected, &got) {
                    (Ok(v), Ok(g)) => assert_eq!(v, g, "{len} {nul:?}"),
                    (Err(_), Err(t)) => {
                        assert!(
                            matches!(t.kind, TrapKind::OutOfBounds { len: 1, .. }),
                            "{t}"
                        );
                        assert_eq!(t.pc, 1, "{len} {nul:?}");
                    }
                    _ => panic!("{len} {nul:?}: expected {expected:?}, got {got:?}"),
                }
            }
        }
        // Two equal halves, then one byte changed.
        let half = len / 2;
        for diff in (0..half).map(Some).chain([None]) {
            let mut mem: Vec<u8> = (0..len).map(|i| 1 + (i % half.max(1)) as u8).collect();
            if half > 0 && len % 2 == 1 {
                mem[len - 1] = 9;
            }
            if let Some(at) = diff {
                mem[half + at] = 200;
            }
            // The program's meaning, worked out in Rust: the second half runs off the end first.
            let expected = strcmp_halves(&mem, half);
            for config in [&Config::default(), &uncounted] {
                let got = exec_cfg(cmp, &mem, config).result;
                match (&expected, &got) {
                    (Ok(v), Ok(g)) => assert_eq!(v, g, "{len} {diff:?}"),
                    (Err(()), Err(t)) => {
                        assert!(
                            matches!(t.kind, TrapKind::OutOfBounds { len: 1, .. }),
                            "{t}"
                        );
                        assert_eq!(t.pc, 4, "{len} {diff:?}");
                    }
                    _ => panic!("{len} {diff:?}: expected {expected:?}, got {got:?}"),
                }
            }
        }
    }
}

/// A scanning loop that writes ahead of itself and reads a byte that does not move: it never
/// meets a NUL it has not overwritten, so it stops at its store one byte past the end, with
/// everything before it written.
#[test]
fn a_scanning_loop_writing_ahead_stops_at_its_store_past_the_end() {
    let src = "mov %r5, %r1\nmov %r0, 0\nloop:\nldxb %r2, [%r1+0]\njeq %r2, 0, done\n\
               ldxb %r3, [%r5+0]\nadd %r0, %r3\nstb [%r1+1], 0x2a\nadd %r1, 1\nja loop\n\
               done:\nexit";
    for len in 1..20usize {
        let mem: Vec<u8> = (0..len).map(|i| 3 + i as u8).collect();
        let (e, after) = exec_mem(src, &mem);
        let trap = e.result.unwrap_err();
        assert_eq!(trap.pc, 6, "{len}");
        assert!(
            matches!(
                trap.kind,
                TrapKind::OutOfBounds {
                    len: 1,
                    access: Access::Write,
                    ..
                }
            ),
            "{len}: {trap}"
        );
        assert_eq!(after[0], 3);
        assert!(after[1..].iter().all(|&b| b == 0x2a), "{len}: {after:?}");
        // A NUL at the start: no iteration at all.
        let mut zero = mem.clone();
        zero[0] = 0;
        assert_eq!(exec_mem(src, &zero).0.result, Ok(0));
    }
}

#[test]
fn shift_amounts_are_masked_to_the_width() {
    assert_eq!(r0("mov %r0, 1\nlsh %r0, 64\nexit"), 1);
    assert_eq!(r0("mov %r0, 1\nlsh %r0, 65\nexit"), 2);
    assert_eq!(r0("mov %r0, 1\nmov %r1, 127\nlsh %r0, %r1\nexit"), 1 << 63);
    assert_eq!(r0("mov32 %r0, 1\nlsh32 %r0, 32\nexit"), 1);
    assert_eq!(r0("mov32 %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1\nexit"), 2);
    assert_eq!(r0("mov %r0, -1\nrsh %r0, 70\nexit"), u64::MAX >> 6);
    // arsh32 by 35 shifts by 3 and sign-fills within 32 bits, then zero-extends.
    assert_eq!(
        r0("mov32 %r0, 0x80000000\narsh32 %r0, 35\nexit"),
        0xf000_0000
    );
    assert_eq!(
        r0("lddw %r0, 0x8000000000000000\narsh %r0, 127\nexit"),
        u64::MAX
    );
}

#[test]
fn alu32_results_are_zero_extended() {
    assert_eq!(
        r0("lddw %r0, 0xffffffffffffffff\nadd32 %r0, 0\nexit"),
        0xffff_ffff
    );
    assert_eq!(r0("mov32 %r0, -1\nexit"), 0xffff_ffff);
    assert_eq!(r0("mov %r0, 1\nneg32 %r0\nexit"), 0xffff_ffff);
    assert_eq!(r0("lddw %r1, 0x1234567800000001\nmov32 %r0, %r1\nexit"), 1);
    assert_eq!(r0("mov32 %r0, 0xffffffff\nmul32 %r0, 2\nexit"), 0xffff_fffe);
    // 64-bit immediates sign-extend.
    assert_eq!(r0("mov %r0, -1\nexit"), u64::MAX);
    assert_eq!(r0("mov %r0, 0\nadd %r0, -2\nexit"), (-2i64) as u64);
    // Sign-extending moves.
    assert_eq!(r0("mov %r1, 0x80\nmovsx832 %r0, %r1\nexit"), 0xffff_ff80);
    assert_eq!(
        r0("mov %r1, 0x8000\nmovsx1664 %r0, %r1\nexit"),
        0xffff_ffff_ffff_8000
    );
}

#[test]
fn byte_order() {
    assert_eq!(r0("lddw %r0, 0x1122334455667788\nbe16 %r0\nexit"), 0x8877);
    assert_eq!(
        r0("lddw %r0, 0x1122334455667788\nbe32 %r0\nexit"),
        0x8877_6655
    );
    assert_eq!(r0("lddw %r0, 0x1122334455667788\nle16 %r0\nexit"), 0x7788);
    assert_eq!(
        r0("lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit"),
        0x8877_6655_4433_2211
    );
}

#[test]
fn unaligned_and_sign_extending_loads() {
    let mem: Vec<u8> = (0u8..16).collect();
    assert_eq!(exec("ldxw %r0, [%r1+1]\nexit", &mem), Ok(0x0403_0201));
    assert_eq!(
        exec("ldxdw %r0, [%r1+3]\nexit", &mem),
        Ok(0x0a09_0807_0605_0403)
    );
    assert_eq!(exec("ldxh %r0, [%r1+7]\nexit", &mem), Ok(0x0807));
    let neg = [0x80u8, 0xff, 0xff, 0x7f];
    assert_eq!(
        exec("ldxsb %r0, [%r1]\nexit", &neg),
        Ok(0xffff_ffff_ffff_ff80)
    );
    assert_eq!(
        exec("ldxsh %r0, [%r1+1]\nexit", &neg),
        Ok(0xffff_ffff_ffff_ffff)
    );
    assert_eq!(exec("ldxsw %r0, [%r1]\nexit", &neg), Ok(0x7fff_ff80));
    // An unaligned store then load through the stack.
    assert_eq!(
        r0("lddw %r1, 0x0102030405060708\nstxdw [%r10-13], %r1\nldxw %r0, [%r10-11]\nexit"),
        0x0304_0506
    );
}

fn oob(pc: usize, len: u64, access: Access) -> impl Fn(&Result<u64, Trap>) -> bool {
    move |r| matches!(r, Err(Trap { pc: p, kind: TrapKind::OutOfBounds { len: l, access: a, .. } }) if *p == pc && *l == len && *a == access)
}

#[test]
fn context_bounds_one_byte_each_side() {
    let mem = [7u8; 8];
    assert_eq!(exec("ldxb %r0, [%r1+0]\nexit", &mem), Ok(7));
    assert_eq!(exec("ldxb %r0, [%r1+7]\nexit", &mem), Ok(7));
    assert_eq!(
        exec("ldxdw %r0, [%r1+0]\nexit", &mem),
        Ok(0x0707_0707_0707_0707)
    );
    assert!(oob(0, 1, Access::Read)(&exec(
        "ldxb %r0, [%r1-1]\nexit",
        &mem
    )));
    assert!(oob(0, 1, Access::Read)(&exec(
        "ldxb %r0, [%r1+8]\nexit",
        &mem
    )));
    assert!(oob(0, 8, Access::Read)(&exec(
        "ldxdw %r0, [%r1+1]\nexit",
        &mem
    )));
    assert!(oob(1, 1, Access::Write)(&exec(
        "mov %r0, 0\nstb [%r1-1], 1\nexit",
        &mem
    )));
    assert!(oob(1, 1, Access::Write)(&exec(
        "mov %r0, 0\nstb [%r1+8], 1\nexit",
        &mem
    )));
    assert!(oob(0, 4, Access::Write)(&exec(
        "stxw [%r1+5], %r1\nexit",
        &mem
    )));
    assert_eq!(exec("stb [%r1+7], 9\nldxb %r0, [%r1+7]\nexit", &mem), Ok(9));
    // The trap names the exact address: r1 + 8.
    let mut m = mem.to_vec();
    let addr = m.as_ptr() as u64 + 8;
    let prog = vm("interp", &Config::default())
        .load_asm("ldxb %r0, [%r1+8]\nexit")
        .unwrap();
    assert_eq!(
        prog.execute(&mut m),
        Err(Trap::new(
            0,
            TrapKind::OutOfBounds {
                addr,
                len: 1,
                access: Access::Read
            }
        ))
    );
    // No context at all: any dereference of r1 traps.
    assert!(oob(0, 1, Access::Read)(&exec("ldxb %r0, [%r1]\nexit", &[])));
}

/// Runs `src` on every backend on the same buffers; all must agree on the execution and on the
/// memory left behind, which is returned with it.
fn exec_mem(src: &str, mem: &[u8]) -> (Execution, Vec<u8>) {
    let config = Config::default();
    let mut first: Option<(String, Execution, Vec<u8>)> = None;
    let mut m = mem.to_vec();
    let mut stack = StackBuffer::new(config.stack_size());
    for &b in BACKENDS {
        let prog = vm(b, &config).load_asm(src).unwrap();
        m.copy_from_slice(mem);
        stack.reset(config.stack_size());
        let e = prog.execute_on(&mut m, &mut stack);
        match &first {
            None => first = Some((b.to_owned(), e, m.clone())),
            Some((fb, fe, fm)) => {
                assert_eq!((&e, &m), (fe, fm), "{b} and {fb} disagree on\n{src}");
            }
        }
    }
    let (_, e, m) = first.unwrap();
    (e, m)
}

#[test]
fn merged_context_checks_keep_each_access_exact() {
    // Several fields through r1 in one block (one merged check when the span fits).
    let mem: Vec<u8> = (1..=16).collect();
    let fields = "ldxb %r0, [%r1+0]\nldxh %r2, [%r1+2]\nldxw %r3, [%r1+12]\n\
                  add %r0, %r2\nadd %r0, %r3\nexit";
    assert_eq!(
        exec_mem(fields, &mem).0.result,
        Ok(1 + 0x0403 + 0x100f_0e0d)
    );
    // The span [0, 16) does not fit 12 bytes: the first two accesses and the store between them
    // happen, the third traps at its own instruction with its own address and length.
    let short = &mem[..12];
    let (e, m) = exec_mem(
        "ldxb %r0, [%r1+0]\nstb [%r1+1], 99\nldxw %r3, [%r1+12]\nexit",
        short,
    );
    assert!(oob(2, 4, Access::Read)(&e.result), "{e:?}");
    assert_eq!(m[1], 99);
    // The block is charged on entry, all four instructions.
    assert_eq!(e.instructions, 4);
    // A base register changed between accesses starts a new group.
    let (e, _) = exec_mem(
        "ldxb %r0, [%r1+0]\nadd %r1, 100\nldxb %r2, [%r1+0]\nldxb %r3, [%r1+1]\nexit",
        &mem,
    );
    assert!(oob(2, 1, Access::Read)(&e.result), "{e:?}");
    // Below the context: the lowest access of the group traps, though it is not the first.
    let (e, m) = exec_mem("stb [%r1+4], 5\nldxb %r0, [%r1-1]\nexit", &mem);
    assert!(oob(1, 1, Access::Read)(&e.result), "{e:?}");
    assert_eq!(m[4], 5);
}

#[test]
fn counted_loops_with_hoisted_checks_keep_each_access_exact() {
    // Sums and overwrites ctx[r5 + off] for r5 = v0, v0 + step, ... while r5 < n.
    let src = |v0: u32, n: u32, off: i32, step: u32| {
        format!(
            "mov %r0, 0\nmov %r5, {v0}\nmov %r3, {n}\nloop:\nmov %r6, %r1\nadd %r6, %r5\n\
             ldxb %r7, [%r6{off:+}]\nadd %r0, %r7\nstb [%r6{off:+}], 1\nadd %r5, {step}\n\
             jgt %r3, %r5, loop\nexit"
        )
    };
    let mem: Vec<u8> = (10..18).collect();
    // In bounds: 10 + 11 + ... + 17, every byte overwritten; 3 + 8 * 7 + 1 instructions.
    let (e, m) = exec_mem(&src(0, 8, 0, 1), &mem);
    assert_eq!(e.result, Ok((10..18).sum::<u64>()));
    assert_eq!(e.instructions, 60);
    assert_eq!(m, [1; 8]);
    // One past the end on the ninth iteration: the first eight happen, then the load traps.
    let (e, m) = exec_mem(&src(0, 9, 0, 1), &mem);
    assert!(oob(5, 1, Access::Read)(&e.result), "{e:?}");
    assert_eq!(m, [1; 8]);
    // Every start, bound, offset and step: all backends agree on result, count and memory
    // (checked by `exec_mem`), in bounds or not.
    for v0 in 0..4 {
        for n in 0..12 {
            for off in -2..3 {
                for step in 1..4 {
                    exec_mem(&src(v0, n, off, step), &mem);
                }
            }
        }
    }
}

#[test]
fn stack_bounds_one_byte_each_side() {
    assert_eq!(r0("stb [%r10-512], 3\nldxb %r0, [%r10-512]\nexit"), 3);
    assert_eq!(r0("stb [%r10-1], 4\nldxb %r0, [%r10-1]\nexit"), 4);
    // Underflow: one byte below the frame.
    assert!(oob(0, 1, Access::Write)(&exec(
        "stb [%r10-513], 1\nexit",
        &[]
    )));
    assert!(oob(0, 1, Access::Read)(&exec(
        "ldxb %r0, [%r10-513]\nexit",
        &[]
    )));
    // Overflow: at the frame pointer and across it.
    assert!(oob(0, 1, Access::Read)(&exec(
        "ldxb %r0, [%r10]\nexit",
        &[]
    )));
    assert!(oob(0, 8, Access::Write)(&exec(
        "stdw [%r10-4], 1\nexit",
        &[]
    )));
    // The stack starts zeroed.
    assert_eq!(r0("ldxdw %r0, [%r10-8]\nexit"), 0);
}

#[test]
fn local_calls_get_their_own_frame_and_preserve_r6_to_r9() {
    let src = "
        mov %r6, 6
        stdw [%r10-8], 11
        call local f
        ldxdw %r1, [%r10-8]
        add %r0, %r1
        add %r0, %r6
        exit
    f:
        stdw [%r10-8], 100
        ldxdw %r0, [%r10-8]
        mov %r6, 0
        exit";
    // 100 (callee's own slot) + 11 (caller's slot untouched) + 6 (r6 restored)
    assert_eq!(r0(src), 117);
    // The callee can read its caller's frame through a pointer, but not below its own frame.
    let src = "
        stdw [%r10-8], 5
        mov %r1, %r10
        call local f
        exit
    f:
        ldxdw %r0, [%r1-8]
        exit";
    assert_eq!(r0(src), 5);
    assert!(oob(3, 1, Access::Read)(&exec(
        "call local f\nexit\nf:\nmov %r0, 0\nldxb %r0, [%r10-513]\nexit",
        &[]
    )));
    // After the callee returns, its frame is no longer accessible.
    let src = "call local f\nldxdw %r0, [%r0]\nexit\nf:\nmov %r0, %r10\nsub %r0, 8\nexit";
    assert!(oob(1, 8, Access::Read)(&exec(src, &[])));
}

fn nested_calls(depth: usize) -> String {
    let mut s = String::from("call local f1\nexit\n");
    for i in 1..depth {
        s.push_str(&format!("f{i}:\ncall local f{}\nexit\n", i + 1));
    }
    s.push_str(&format!("f{depth}:\nmov %r0, 7\nexit\n"));
    s
}

#[test]
fn call_depth_limit() {
    // 7 nested calls = 8 frames: allowed by the default depth of 8.
    assert_eq!(r0(&nested_calls(7)), 7);
    // 8 nested calls = 9 frames: the call in f7 (at pc 14) traps.
    assert_eq!(
        exec(&nested_calls(8), &[]),
        Err(Trap::new(14, TrapKind::CallDepthExceeded))
    );
    let cfg = Config {
        max_call_depth: 9,
        ..Config::default()
    };
    assert_eq!(exec_cfg(&nested_calls(8), &[], &cfg).result, Ok(7));
    // Unbounded recursion stops at the limit too.
    let rec = "call local f\nexit\nf:\ncall local f\nexit";
    assert_eq!(
        exec(rec, &[]),
        Err(Trap::new(2, TrapKind::CallDepthExceeded))
    );
}

/// Runs `src` with an instruction budget of `n`.
fn with_budget(src: &str, n: u64) -> Execution {
    let config = Config {
        instruction_budget: Some(n),
        ..Config::default()
    };
    exec_cfg(src, &[], &config)
}

#[test]
fn short_skips_charge_the_skipped_block_only_when_it_runs() {
    // Blocks: [0,1] 2, [2] 1, [3] 1 (skipped while r1 > 2), [4,5] 2, [6] 1. r1 = 5, 4, 3 skip
    // the add; r1 = 2, 1 run it: r0 = 20, and 2 + 3 * 3 + 2 * 4 + 1 = 20 instructions.
    let src = "mov %r0, 0\nmov %r1, 5\nloop:\njgt %r1, 2, +1\nadd %r0, 10\n\
               sub %r1, 1\njne %r1, 0, loop\nexit";
    let ok = |v, n| Execution {
        result: Ok(v),
        instructions: n,
    };
    let trap = |pc, n| Execution {
        result: Err(Trap::new(pc, TrapKind::BudgetExhausted)),
        instructions: n,
    };
    assert_eq!(exec_cfg(src, &[], &Config::default()), ok(20, 20));
    assert_eq!(with_budget(src, 20), ok(20, 20));
    assert_eq!(with_budget(src, 19), trap(6, 19));
    // Fourth iteration (r1 = 2, not skipped): the jump is paid at 12, the add cannot be.
    assert_eq!(with_budget(src, 12), trap(3, 12));
    assert_eq!(with_budget(src, 11), trap(2, 11));
    assert_eq!(with_budget(src, 13), trap(4, 13));
    // Every budget: all backends agree (checked by `exec_cfg`); a run never exceeds its budget
    // and finishes exactly when the budget covers it.
    for n in 0..=21 {
        let e = with_budget(src, n);
        assert!(e.instructions <= n, "budget {n}: {e:?}");
        assert_eq!(e.result.is_ok(), n >= 20, "budget {n}: {e:?}");
    }
}

#[test]
fn a_skipped_block_other_jumps_enter_is_charged_on_every_path() {
    // Blocks: [0,1] 2, [2,3] 2, [4] 1, [5] 1 (entered by the skip's fall-through and by the
    // jump at 3), [6] 1, [7] 1. Iterations r1 = 1..5 cost 5, 4, 5, 4, 4: 25 in all; r0 = 21.
    let src = "mov %r0, 0\nmov %r1, 0\nloop:\nadd %r1, 1\njeq %r1, 2, +1\njgt %r1, 3, +1\n\
               add %r0, 7\njlt %r1, 5, loop\nexit";
    assert_eq!(
        exec_cfg(src, &[], &Config::default()),
        Execution {
            result: Ok(21),
            instructions: 25
        }
    );
    assert_eq!(
        with_budget(src, 5),
        Execution {
            result: Err(Trap::new(5, TrapKind::BudgetExhausted)),
            instructions: 5
        }
    );
    for n in 0..=26 {
        let e = with_budget(src, n);
        assert!(e.instructions <= n, "budget {n}: {e:?}");
        assert_eq!(e.result.is_ok(), n >= 25, "budget {n}: {e:?}");
    }
}

#[test]
fn counting_off_reports_zero_unless_a_budget_needs_the_count() {
    let src = "mov %r0, 0\nmov %r1, 5\nloop:\njgt %r1, 2, +1\nadd %r0, 10\n\
               sub %r1, 1\njne %r1, 0, loop\nexit";
    let off = Config {
        count_instructions: false,
        ..Config::default()
    };
    assert_eq!(
        exec_cfg(src, &[], &off),
        Execution {
            result: Ok(20),
            instructions: 0
        }
    );
    let budgeted = Config {
        instruction_budget: Some(12),
        ..off
    };
    assert_eq!(
        exec_cfg(src, &[], &budgeted),
        Execution {
            result: Err(Trap::new(3, TrapKind::BudgetExhausted)),
            instructions: 12
        }
    );
}

#[test]
fn budget_is_exhausted_at_exactly_its_count() {
    // Blocks: [mov] at 0, [add, jne] at 1 (10 times), [exit] at 3: 1 + 20 + 1 = 22 instructions.
    let src = "mov %r0, 0\nloop:\nadd %r0, 1\njne %r0, 10, loop\nexit";
    let unlimited = exec_cfg(src, &[], &Config::default());
    assert_eq!(
        unlimited,
        Execution {
            result: Ok(10),
            instructions: 22
        }
    );
    let with = |n| {
        exec_cfg(
            src,
            &[],
            &Config {
                instruction_budget: Some(n),
                ..Config::default()
            },
        )
    };
    assert_eq!(
        with(22),
        Execution {
            result: Ok(10),
            instructions: 22
        }
    );
    // One short: the exit block cannot be paid for.
    assert_eq!(
        with(21),
        Execution {
            result: Err(Trap::new(3, TrapKind::BudgetExhausted)),
            instructions: 21
        }
    );
    // After 1 + 9 * 2 = 19, the tenth iteration needs 2 but only 1 is left.
    assert_eq!(
        with(20),
        Execution {
            result: Err(Trap::new(1, TrapKind::BudgetExhausted)),
            instructions: 19
        }
    );
    assert_eq!(with(0).result, Err(Trap::new(0, TrapKind::BudgetExhausted)));
    // An infinite loop ends with the budget.
    let inf = Config {
        instruction_budget: Some(1_000),
        ..Config::default()
    };
    assert_eq!(
        exec_cfg("ja -1\nexit", &[], &inf).result,
        Err(Trap::new(0, TrapKind::BudgetExhausted))
    );
    // lddw counts once.
    assert_eq!(
        exec_cfg("lddw %r0, 1\nexit", &[], &Config::default()).instructions,
        2
    );
}

#[test]
fn atomics() {
    // 32-bit fetch-add returns the old value zero-extended, and leaves the upper word alone.
    let src = "
        lddw %r1, 0xffffffff00000005
        stxdw [%r10-8], %r1
        lddw %r2, 0xffffffff00000001
        lock fetch add32 [%r10-8], %r2
        ldxdw %r0, [%r10-8]
        add %r0, %r2
        exit";
    // memory: 0xffffffff_00000006; r2: 5
    assert_eq!(r0(src), 0xffff_ffff_0000_0006 + 5);
    // cmpxchg that fails loads the current value into r0 and stores nothing.
    let src = "stdw [%r10-8], 3\nmov %r0, 4\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r1, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit";
    assert_eq!(r0(src), (3 << 8) | 3);
    // Unaligned atomics trap.
    // The stack top is 16-byte aligned, so r10 - 12 is 4 bytes off an 8-byte boundary.
    let t = exec("mov %r1, 1\nlock add [%r10-12], %r1\nexit", &[]);
    assert!(
        matches!(
            t,
            Err(Trap {
                pc: 1,
                kind: TrapKind::UnalignedAtomic { .. }
            })
        ),
        "{t:?}"
    );
    assert_eq!(
        r0("mov %r1, 1\nstw [%r10-12], 41\nlock add32 [%r10-12], %r1\nldxw %r0, [%r10-12]\nexit"),
        42
    );
}

#[test]
fn legacy_packet_loads_read_big_endian_from_the_context() {
    let pkt = [0x12, 0x34, 0x56, 0x78, 0x9a];
    assert_eq!(exec("ldabsw 0\nexit", &pkt), Ok(0x1234_5678));
    assert_eq!(exec("ldabsh 1\nexit", &pkt), Ok(0x3456));
    assert_eq!(exec("mov %r2, 3\nldindb %r2, 1\nexit", &pkt), Ok(0x9a));
    assert!(oob(0, 4, Access::Read)(&exec("ldabsw 2\nexit", &pkt)));
    assert!(oob(1, 1, Access::Read)(&exec(
        "mov %r2, -1\nldindb %r2, 0\nexit",
        &pkt
    )));
}

#[test]
fn helpers_and_callx() {
    assert_eq!(r0("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\ncall 1\nexit"), 6);
    assert_eq!(r0("mov %r1, 10\nmov %r5, 1\ncall %r5\nexit"), 10);
    let t = exec("mov %r5, 99\ncall %r5\nexit", &[]);
    assert_eq!(t, Err(Trap::new(1, TrapKind::UnknownHelper { id: 99 })));
    let t = exec("mov %r0, 0\ncall 2\nexit", &[]);
    assert_eq!(
        t,
        Err(Trap::new(
            1,
            TrapKind::HelperError {
                id: 2,
                message: "boom".into()
            }
        ))
    );
    // A helper may end the program with a value.
    assert_eq!(r0("mov %r1, 77\ncall 3\nmov %r0, 1\nexit"), 77);
    // Helpers read program memory through the same checks.
    assert_eq!(
        r0("stw [%r10-4], 0x1234\nmov %r1, %r10\nsub %r1, 4\ncall 4\nexit"),
        0x1234
    );
    let t = exec("mov %r1, %r10\ncall 4\nexit", &[]);
    assert!(
        matches!(
            t,
            Err(Trap {
                pc: 1,
                kind: TrapKind::HelperError { id: 4, .. }
            })
        ),
        "{t:?}"
    );
}

#[test]
fn load_time_checks_name_the_instruction() {
    let kind = |src: &str| match load_err(src) {
        LoadError::Check(c) => (c.pc, c.kind),
        other => panic!("{other}"),
    };
    assert_eq!(kind("mov %r10, 1\nexit"), (0, CheckErrorKind::WritesR10));
    assert_eq!(kind("mov %r0, 0\nldxdw %r10, [%r1]\nexit").0, 1);
    assert_eq!(
        kind("ja +5\nexit"),
        (0, CheckErrorKind::JumpOutOfRange { target: 6, len: 2 })
    );
    assert_eq!(
        kind("ja -2\nexit"),
        (0, CheckErrorKind::JumpOutOfRange { target: -1, len: 2 })
    );
    assert_eq!(
        kind("ja +1\nlddw %r0, 1\nexit"),
        (0, CheckErrorKind::JumpIntoLoadImm64 { target: 2 })
    );
    assert_eq!(
        kind("call 42\nexit"),
        (0, CheckErrorKind::UnknownHelper { id: 42 })
    );
    assert_eq!(
        kind("mov %r0, 0"),
        (0, CheckErrorKind::FallsOffEnd { function: 0 })
    );
    assert_eq!(
        kind("mov %r0, 0\njeq %r0, 0, -2"),
        (1, CheckErrorKind::FallsOffEnd { function: 0 })
    );
    assert_eq!(kind(""), (0, CheckErrorKind::Empty));
    assert_eq!(kind("call local f\nexit\nf:\nja -3\nexit").0, 2);
    assert_eq!(
        kind("lddw %r1, map_fd 3\nexit").1,
        CheckErrorKind::UnresolvedImm64 { keyword: "map_fd" }
    );
    let small = Config {
        max_instructions: 2,
        ..Config::default()
    };
    let too_long = vm("interp", &small).load_asm("mov %r0, 0\nmov %r0, 0\nexit");
    assert!(
        matches!(too_long, Err(Error::Load(LoadError::Check(c))) if matches!(c.kind, CheckErrorKind::TooLong { count: 3, limit: 2 }))
    );
    // Decoding errors name the slot.
    let bytes = [0x95, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x01, 1, 0, 1, 0, 0, 0];
    let e = vm("interp", &Config::default())
        .load_bytes(&bytes)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "insn 1: unused field offset is 0x1 in opcode 0x07; it must be 0"
    );
    let e = vm("interp", &Config::default())
        .load_bytes(&[0x18, 0, 0, 0, 0, 0, 0, 0])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "insn 0: lddw is truncated: its second slot is missing"
    );
}

#[test]
fn adjacent_pairs_keep_their_meaning() {
    // mov + op pairs (the interpreter runs these as one op).
    assert_eq!(r0("mov %r1, 5\nmov %r0, %r1\nadd %r0, %r0\nexit"), 10);
    assert_eq!(
        r0("mov %r1, 5\nmov %r0, %r1\nadd %r0, -7\nexit"),
        (-2i64) as u64
    );
    assert_eq!(r0("mov %r1, 3\nmov %r0, %r1\nlsh %r0, 70\nexit"), 3 << 6);
    assert_eq!(r0("mov %r1, -1\nmov %r0, %r1\nrsh %r0, 60\nexit"), 0xf);
    assert_eq!(
        r0("mov %r1, -1\nmov %r0, %r1\nand %r0, -16\nexit"),
        (-16i64) as u64
    );
    // add + conditional jump, with signed and unsigned compares against a sign-extended immediate.
    assert_eq!(
        r0("mov %r0, -3\nloop:\nadd %r0, 1\njslt %r0, 2, loop\nexit"),
        2
    );
    assert_eq!(
        r0(
            "mov %r0, 0\nmov %r1, 0\nloop:\nadd %r1, 1\nadd %r0, -1\njne %r0, -5, loop\nmov %r0, %r1\nexit"
        ),
        5
    );
    assert_eq!(
        r0("mov %r0, 0\nadd %r0, -1\njgt %r0, 7, +1\nexit\nmov %r0, 9\nexit"),
        9
    );
    // A jump into the second instruction of a pair runs it alone.
    assert_eq!(
        r0("mov %r1, 4\nmov %r0, 1\nja +1\nmov %r0, %r1\nadd %r0, 10\nexit"),
        11
    );
}
