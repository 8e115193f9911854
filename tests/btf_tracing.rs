//! BTF-typed tracing programs (`fentry`, `fexit`, `tp_btf`) that follow kernel pointers
//! directly, as libbpf-tools writes them (`tests/fixtures/realworld/btf_tracing.c`): verified,
//! and run on every backend over generated kernel objects in a [`TracingContext`] — valid,
//! null and dangling pointers, names that run off the end of memory — against answers computed
//! here from the C source's description, where a read outside the context yields 0 as Linux's
//! probe loads do.

use oxbpf::context::{ObjectId, TracingContext};
use oxbpf::{BACKENDS, Object, Vm};

fn fixture() -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/realworld/btf_tracing.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

use oxbpf_test_support::rng::Rng;

/// `n` bytes at `addr` as a little-endian number when they all lie in `mem` (which starts at
/// `base`), 0 otherwise: what a probe load of the context reads.
fn probe(mem: &[u8], base: u64, addr: u64, n: usize) -> u64 {
    let Some(off) = addr.checked_sub(base) else {
        return 0;
    };
    let Ok(off) = usize::try_from(off) else {
        return 0;
    };
    match mem.get(off..off.saturating_add(n)) {
        Some(b) if off.checked_add(n).is_some() => {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(b);
            u64::from_le_bytes(w)
        }
        _ => 0,
    }
}

/// Where a generated pointer points.
#[derive(Clone, Copy)]
enum Target {
    Object(ObjectId, usize),
    Number(u64),
}

fn pick(rng: &mut Rng, valid: Target) -> Target {
    match rng.below(8) {
        0 => Target::Number(0),
        1 => Target::Number(0x1000 + rng.below(0x1000)),
        _ => valid,
    }
}

fn point_arg(ctx: &mut TracingContext, i: usize, t: Target) {
    match t {
        Target::Object(o, off) => ctx.point_arg(i, o, off).unwrap(),
        Target::Number(v) => ctx.set_arg(i, v).unwrap(),
    }
}

fn point_field(ctx: &mut TracingContext, of: ObjectId, field: usize, t: Target) {
    match t {
        Target::Object(o, off) => ctx.point_field(of, field, o, off).unwrap(),
        Target::Number(v) => {
            ctx.object_mut(of).unwrap()[field..field + 8].copy_from_slice(&v.to_le_bytes())
        }
    }
}

/// A `struct file` with its path's dentry, the dentry's parent and its name, some pointers
/// null or dangling; the name last, so that one without a NUL runs off the end of memory.
fn file_context(rng: &mut Rng) -> TracingContext {
    let mut ctx = TracingContext::new();
    let mut file = [0u8; 40];
    file[24..28].copy_from_slice(&(rng.next_u64() as u32).to_le_bytes());
    file[32..40].copy_from_slice(&(rng.below(1 << 20)).to_le_bytes());
    let file = ctx.add_object(&file);
    let dentry = |rng: &mut Rng| {
        let mut d = [0u8; 32];
        d[0..4].copy_from_slice(&(rng.next_u64() as u32).to_le_bytes());
        d[20..24].copy_from_slice(&(rng.below(300) as u32).to_le_bytes());
        d
    };
    let (d, parent) = (dentry(rng), dentry(rng));
    let (d, parent) = (ctx.add_object(&d), ctx.add_object(&parent));
    let name: Vec<u8> = (0..rng.below(12))
        .map(|_| {
            if rng.below(10) == 0 {
                0
            } else {
                b'a' + rng.below(26) as u8
            }
        })
        .collect();
    let name = ctx.add_object(&name);
    point_arg(&mut ctx, 0, pick(rng, Target::Object(file, 0)));
    ctx.set_arg(2, rng.below(1 << 16)).unwrap();
    // fexit's return value: sometimes an error.
    let ret = if rng.below(4) == 0 {
        -(rng.below(100) as i64)
    } else {
        rng.below(4096) as i64
    };
    ctx.set_arg(4, ret as u64).unwrap();
    point_field(&mut ctx, file, 16, pick(rng, Target::Object(d, 0)));
    point_field(&mut ctx, d, 8, pick(rng, Target::Object(parent, 0)));
    point_field(&mut ctx, d, 24, pick(rng, Target::Object(name, 0)));
    ctx
}

/// What `fentry_vfs_read` returns and stores, from the memory it runs on: `(r0, key, the
/// read_stat record)`.
fn fentry_model(mem: &[u8]) -> (u64, u32, Vec<u8>) {
    let base = mem.as_ptr() as u64;
    let rd = |addr: u64, n: usize| probe(mem, base, addr, n);
    let file = rd(base, 8);
    let count = rd(base + 16, 8);
    let d = rd(file.wrapping_add(16), 8);
    let flags = rd(file.wrapping_add(24), 4) as u32;
    let name = rd(d.wrapping_add(24), 8);
    let mut h = 0u64;
    for i in 0..8 {
        let c = rd(name.wrapping_add(i), 1);
        if c == 0 {
            break;
        }
        h = h.wrapping_mul(31).wrapping_add(c);
    }
    let parent = rd(d.wrapping_add(8), 8);
    let parent_len = rd(parent.wrapping_add(20), 4) as u32;
    let mut st = Vec::new();
    st.extend_from_slice(&count.to_le_bytes());
    st.extend_from_slice(&h.to_le_bytes());
    st.extend_from_slice(&parent_len.to_le_bytes());
    st.extend_from_slice(&flags.to_le_bytes());
    (rd(d.wrapping_add(20), 4), flags & 0x3f, st)
}

/// What `fexit_vfs_read` returns.
fn fexit_model(mem: &[u8]) -> u64 {
    let base = mem.as_ptr() as u64;
    let rd = |addr: u64, n: usize| probe(mem, base, addr, n);
    let ret = rd(base + 32, 8) as i64;
    if ret < 0 {
        return 0;
    }
    let file = rd(base, 8);
    u64::from((rd(file.wrapping_add(32), 8) as i64).wrapping_add(ret) as u32)
}

fn load(vm: &Vm, obj: &Object, name: &str) -> oxbpf::Loaded {
    obj.load(vm, Some(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn fentry_and_fexit_follow_kernel_pointers_on_every_backend() {
    for backend in BACKENDS {
        let vm = Vm::new(backend).unwrap();
        let obj = vm.open_elf(&fixture()).unwrap();
        let entry = load(&vm, &obj, "fentry_vfs_read");
        let exit = load(&vm, &obj, "fexit_vfs_read");
        assert!(
            entry.program().has_probes() && exit.program().has_probes(),
            "{backend}: loads through the arguments are probe loads"
        );
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut zero_names = 0;
        for case in 0..600 {
            let mut ctx = file_context(&mut rng);
            let (r0, key, st) = fentry_model(ctx.memory());
            if st[8..16] == [0; 8] {
                zero_names += 1;
            }
            assert_eq!(ctx.run(&entry), Ok(r0), "{backend} case {case}");
            let stored = obj.map("reads").unwrap().lookup(&key.to_le_bytes()).ok();
            assert_eq!(stored, Some(st), "{backend} case {case}");
            let r0 = fexit_model(ctx.memory());
            assert_eq!(ctx.run(&exit), Ok(r0), "{backend} case {case}");
        }
        // The generator reaches the null and dangling paths, and the others.
        assert!((50..550).contains(&zero_names), "{zero_names}");
    }
}

#[test]
fn tp_btf_follows_task_pointers_on_every_backend() {
    for backend in BACKENDS {
        let vm = Vm::new(backend).unwrap();
        let obj = vm.open_elf(&fixture()).unwrap();
        let prog = load(&vm, &obj, "on_switch");
        let mut rng = Rng(42);
        for case in 0..300 {
            let mut ctx = TracingContext::new();
            let task = |rng: &mut Rng| {
                let mut t = [0u8; 32];
                for b in t.iter_mut().take(24) {
                    *b = rng.next_u64() as u8;
                }
                t
            };
            let (mut prev, next, parent) = (task(&mut rng), task(&mut rng), task(&mut rng));
            // Few pids, so the 64-entry map never fills.
            prev[0..4].copy_from_slice(&(rng.below(48) as u32).to_le_bytes());
            let (prev, next, parent) = (
                ctx.add_object(&prev),
                ctx.add_object(&next),
                ctx.add_object(&parent),
            );
            ctx.set_arg(0, rng.below(2)).unwrap();
            point_arg(&mut ctx, 1, pick(&mut rng, Target::Object(prev, 0)));
            point_arg(&mut ctx, 2, pick(&mut rng, Target::Object(next, 0)));
            point_field(
                &mut ctx,
                next,
                24,
                pick(&mut rng, Target::Object(parent, 0)),
            );
            let mem = ctx.memory();
            let base = mem.as_ptr() as u64;
            let rd = |addr: u64, n: usize| probe(mem, base, addr, n);
            let (p, n) = (rd(base + 8, 8), rd(base + 16, 8));
            let pid = rd(p, 4) as u32;
            let info = (rd(n.wrapping_add(4), 4) << 32) | rd(rd(n.wrapping_add(24), 8), 4);
            let comm0 = i32::from(rd(n.wrapping_add(8), 1) as u8 as i8);
            let r0 = u64::from((comm0 + if rd(base, 8) != 0 { 1000 } else { 0 }) as u32);
            assert_eq!(ctx.run(&prog), Ok(r0), "{backend} case {case}");
            let stored = obj.map("switches").unwrap().lookup(&pid.to_le_bytes()).ok();
            assert_eq!(
                stored,
                Some(info.to_le_bytes().to_vec()),
                "{backend} case {case}"
            );
        }
    }
}

#[test]
fn a_probe_load_never_reads_the_stack() {
    // A verified fentry program reads through a number that is the address of its own stack
    // (as a program that guessed it would): the load yields 0, not the slot's bytes. Without
    // a call the compiled code decides alone (a direct entry); with one, the runtime's slow
    // path decides.
    let alone = "
        stdw [%r10-8], 0x5a5a
        ldxdw %r2, [%r1+0]
        ldxdw %r0, [%r2+0]
        exit
    ";
    let with_call = "
        stdw [%r10-8], 0x5a5a
        ldxdw %r6, [%r1+0]
        call 5
        ldxdw %r0, [%r6+0]
        exit
    ";
    for (backend, (src, at)) in BACKENDS
        .iter()
        .flat_map(|b| [(b, (alone, 2)), (b, (with_call, 3))])
    {
        let mut vm = Vm::new(backend).unwrap();
        vm.set_program_type(Some(oxbpf::ProgramType::Tracing));
        vm.register_helper(5, "ktime_get_ns", |_, _| Ok(1));
        let prog = vm.load_asm(src).unwrap();
        assert!(prog.program().is_probe(at), "{backend}");
        let mut stack = oxbpf::StackBuffer::new(4096);
        let top = stack.top();
        let mut ctx = TracingContext::new();
        ctx.set_arg(0, top - 8).unwrap();
        let run = prog.execute_on(ctx.memory(), &mut stack);
        assert_eq!(run.result, Ok(0), "{backend}");
        // Unverified, the same load is an ordinary checked one, and reads the slot: the
        // address is the stack's.
        let mut unverified = Vm::new(backend).unwrap();
        unverified.config_mut().verify = false;
        unverified.set_program_type(Some(oxbpf::ProgramType::Tracing));
        unverified.register_helper(5, "ktime_get_ns", |_, _| Ok(1));
        let plain = unverified.load_asm(src).unwrap();
        let run = plain.execute_on(ctx.memory(), &mut stack);
        assert_eq!(run.result, Ok(0x5a5a), "{backend}");
        // The same load through an argument that points into the context reads it.
        let obj = ctx.add_object(&0x77u64.to_le_bytes());
        ctx.point_arg(0, obj, 0).unwrap();
        assert_eq!(ctx.run(&prog), Ok(0x77), "{backend}");
    }
}

#[test]
fn tracing_programs_may_not_write_through_a_number_and_others_may_not_read() {
    let write = "
        ldxdw %r2, [%r1+0]
        stw [%r2+0], 1
        mov %r0, 0
        exit
    ";
    let mut vm = Vm::new("interp").unwrap();
    vm.set_program_type(Some(oxbpf::ProgramType::Tracing));
    let err = vm.load_asm(write).unwrap_err().to_string();
    assert!(err.contains("insn 1") && err.contains("not write"), "{err}");
    // A kprobe's registers hold numbers it reads with bpf_probe_read_kernel, as in Linux.
    let read = "
        ldxdw %r2, [%r1+0]
        ldxdw %r0, [%r2+0]
        exit
    ";
    vm.set_program_type(Some(oxbpf::ProgramType::Kprobe));
    let err = vm.load_asm(read).unwrap_err().to_string();
    assert!(
        err.contains("insn 1") && err.contains("not a pointer"),
        "{err}"
    );
}
