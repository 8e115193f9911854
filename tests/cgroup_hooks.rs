//! The cgroup sysctl and sockopt hooks and socket lookup (`tests/fixtures/realworld/
//! cgroup_hooks.c`): their contexts as Linux lays them out and lets programs reach them, the
//! sockopt option's bytes through `optval`/`optval_end`, on every backend.

use oxbpf::context::PacketContext;
use oxbpf::{BACKENDS, Loaded, Object, ProgramType, Vm};

fn object(backend: &str) -> (Vm, Object) {
    let path = format!(
        "{}/tests/fixtures/realworld/cgroup_hooks.o",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vm = Vm::new(backend).unwrap();
    let obj = vm.open_elf(&bytes).unwrap();
    (vm, obj)
}

fn load(vm: &Vm, obj: &Object, name: &str, t: ProgramType) -> Loaded {
    assert_eq!(obj.program_type(vm, Some(name)).unwrap(), Some(t), "{name}");
    obj.load(vm, Some(name)).unwrap()
}

#[test]
fn a_sysctl_guard_refuses_writes_and_rewinds_far_reads() {
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = load(&vm, &obj, "sysctl_guard", ProgramType::CgroupSysctl);
        for (write, pos, want, pos_after) in
            [(1u32, 0u32, 0u64, 0u32), (0, 100, 1, 100), (0, 5000, 1, 0)]
        {
            let mut ctx = [write.to_le_bytes(), pos.to_le_bytes()].concat();
            assert_eq!(prog.execute(&mut ctx), Ok(want), "{backend} {write} {pos}");
            assert_eq!(ctx[4..8], pos_after.to_le_bytes(), "{backend}: file_pos");
        }
    }
}

/// A sockopt context over `value` for option `level`/`optname`, `retval` -1.
fn sockopt(value: &[u8], level: u64, optname: u64) -> PacketContext {
    let mut ctx = PacketContext::new(ProgramType::CgroupSockopt, value).unwrap();
    ctx.set_field("level", level).unwrap();
    ctx.set_field("optname", optname).unwrap();
    ctx.set_field("retval", u64::from(u32::MAX)).unwrap();
    ctx
}

#[test]
fn a_getsockopt_hook_answers_through_its_option_buffer() {
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = load(&vm, &obj, "tos_answer", ProgramType::CgroupSockopt);
        // SOL_IP, IP_TOS: one byte written, the length and the error set.
        let mut ctx = sockopt(&[0; 4], 0, 1);
        assert_eq!(ctx.field("optlen"), Ok(4));
        assert_eq!(ctx.run(&prog), Ok(1), "{backend}");
        assert_eq!(ctx.packet(), &[0x80, 0, 0, 0], "{backend}");
        assert_eq!(ctx.field("optlen"), Ok(1), "{backend}");
        assert_eq!(ctx.field("retval"), Ok(0), "{backend}");
        // No room for the byte: refused, nothing written.
        let mut ctx = sockopt(&[], 0, 1);
        assert_eq!(ctx.run(&prog), Ok(0), "{backend}");
        assert_eq!(ctx.field("retval"), Ok(u64::from(u32::MAX)), "{backend}");
        // Another option: left to the kernel.
        let mut ctx = sockopt(&[7; 4], 1, 12);
        assert_eq!(ctx.run(&prog), Ok(1), "{backend}");
        assert_eq!(ctx.packet(), &[7; 4], "{backend}");
        assert_eq!(ctx.field("optlen"), Ok(4), "{backend}");
    }
}

#[test]
fn a_setsockopt_hook_rewrites_the_option_and_its_value() {
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = load(&vm, &obj, "priority_to_tos", ProgramType::CgroupSockopt);
        // SOL_SOCKET, SO_PRIORITY 3 becomes SOL_IP, IP_TOS 3 << 5.
        let mut ctx = sockopt(&3u32.to_le_bytes(), 1, 12);
        assert_eq!(ctx.run(&prog), Ok(1), "{backend}");
        assert_eq!(ctx.field("level"), Ok(0), "{backend}");
        assert_eq!(ctx.field("optname"), Ok(1), "{backend}");
        assert_eq!(ctx.packet(), &96u32.to_le_bytes(), "{backend}");
        // A value shorter than the u32 it reads: refused.
        let mut ctx = sockopt(&[3, 0], 1, 12);
        assert_eq!(ctx.run(&prog), Ok(0), "{backend}");
        assert_eq!(ctx.field("level"), Ok(1), "{backend}");
    }
}

#[test]
fn a_socket_lookup_drops_one_port_but_for_ssh() {
    // bpf_sk_lookup: protocol at 12, remote_port (network order) at 36, local_port at 60.
    let lookup = |protocol: u32, remote_port: u16, local_port: u32| {
        let mut ctx = vec![0u8; 72];
        ctx[8..12].copy_from_slice(&2u32.to_le_bytes());
        ctx[12..16].copy_from_slice(&protocol.to_le_bytes());
        ctx[36..38].copy_from_slice(&remote_port.to_be_bytes());
        ctx[60..64].copy_from_slice(&local_port.to_le_bytes());
        ctx
    };
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = load(&vm, &obj, "drop_port", ProgramType::SkLookup);
        for (protocol, remote, local, want) in [
            (6, 40000, 7007, 0),
            (6, 22, 7007, 1),
            (17, 40000, 7007, 1),
            (6, 40000, 8080, 1),
        ] {
            let mut ctx = lookup(protocol, remote, local);
            assert_eq!(
                prog.execute(&mut ctx),
                Ok(want),
                "{backend}: {protocol} {remote} -> {local}"
            );
        }
    }
}

#[test]
fn context_fields_linux_keeps_from_these_programs_are_refused() {
    let vm = |t| {
        let mut vm = Vm::new("interp").unwrap();
        vm.set_program_type(Some(t));
        vm
    };
    for (t, asm, why) in [
        (
            ProgramType::CgroupSysctl,
            "mov %r2, 1\nstxw [%r1+0], %r2\nmov %r0, 1\nexit",
            "invalid access to bpf_sysctl (off=0 size=4, write)",
        ),
        (
            ProgramType::SkLookup,
            "ldxdw %r2, [%r1+0]\nmov %r0, 1\nexit",
            "kernel object",
        ),
        (
            ProgramType::CgroupSockopt,
            "ldxw %r2, [%r1+8]\nmov %r0, 1\nexit",
            "invalid access to bpf_sockopt (off=8 size=4)",
        ),
    ] {
        let err = vm(t).load_asm(asm).unwrap_err().to_string();
        assert!(err.contains(why), "{t}: {err}");
    }
}
