//! Programs of Linux's types over the contexts oxbpf builds for them: an XDP program reads and
//! writes its packet through `xdp_md`'s pointers, a traffic-control program its `__sk_buff`,
//! a kprobe its registers — verified, the same on every backend.

use oxbpf::context::{Context, PacketContext};
use oxbpf::{BACKENDS, ProgramType, Vm};

fn vm(backend: &str, t: ProgramType) -> Vm {
    let mut vm = Vm::new(backend).unwrap();
    vm.set_program_type(Some(t));
    vm
}

/// An Ethernet frame of `len` bytes with Ethernet type `ty`, byte `i` of the rest `i`.
fn frame(ty: u16, len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| i as u8).collect();
    f[12..14].copy_from_slice(&ty.to_be_bytes());
    f
}

/// XDP: passes IPv4 frames after swapping their MAC addresses, drops the rest; frames shorter
/// than an Ethernet header are aborted.
const XDP_SWAP_MACS: &str = "
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, short
    ldxh %r5, [%r2+12]
    jne %r5, 0x8, drop
    ldxw %r6, [%r2+0]
    ldxh %r7, [%r2+4]
    ldxw %r8, [%r2+6]
    ldxh %r9, [%r2+10]
    stxw [%r2+0], %r8
    stxh [%r2+4], %r9
    stxw [%r2+6], %r6
    stxh [%r2+10], %r7
    mov %r0, 2
    exit
drop:
    mov %r0, 1
    exit
short:
    mov %r0, 0
    exit
";

#[test]
fn an_xdp_program_reads_and_writes_its_packet_on_every_backend() {
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::Xdp)
            .load_asm(XDP_SWAP_MACS)
            .unwrap();
        let ipv4 = frame(0x0800, 60);
        let mut ctx = PacketContext::new(ProgramType::Xdp, &ipv4).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}: XDP_PASS");
        let mut swapped = ipv4.clone();
        swapped[0..6].copy_from_slice(&ipv4[6..12]);
        swapped[6..12].copy_from_slice(&ipv4[0..6]);
        assert_eq!(ctx.packet(), &swapped[..], "{backend}: MACs swapped");
        // Run again on the same context: swapped back.
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}");
        assert_eq!(ctx.packet(), &ipv4[..], "{backend}");

        let mut arp = PacketContext::new(ProgramType::Xdp, &frame(0x0806, 42)).unwrap();
        assert_eq!(arp.run(&loaded), Ok(1), "{backend}: XDP_DROP");
        assert_eq!(arp.packet(), &frame(0x0806, 42)[..], "{backend}: untouched");
        for len in [0, 1, 13] {
            let mut short = PacketContext::new(ProgramType::Xdp, &vec![0; len]).unwrap();
            assert_eq!(
                short.run(&loaded),
                Ok(0),
                "{backend}: {len} bytes: XDP_ABORTED"
            );
        }
        assert_eq!(ProgramType::Xdp.action_name(2), Some("XDP_PASS"));
    }
}

/// Reads `data_end` through a context pointer moved by 4 (its load keeps its base when it is
/// rewritten to the full-width copy), then the packet's last byte.
const XDP_MOVED_CONTEXT: &str = "
    mov %r6, %r1
    add %r6, 4
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r6+0]
    mov %r4, %r2
    add %r4, 1
    jgt %r4, %r3, empty
    mov %r0, %r3
    sub %r0, %r2
    exit
empty:
    mov %r0, 0
    exit
";

#[test]
fn a_packet_pointer_read_through_a_moved_context_pointer_is_the_right_one() {
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::Xdp)
            .load_asm(XDP_MOVED_CONTEXT)
            .unwrap();
        for len in [0usize, 1, 77] {
            let mut ctx = PacketContext::new(ProgramType::Xdp, &vec![9; len]).unwrap();
            assert_eq!(
                ctx.run(&loaded),
                Ok(len as u64),
                "{backend}: {len}-byte packet"
            );
        }
    }
}

/// Traffic control: sets `mark` to the packet's length plus `cb[0]`, and `TC_ACT_SHOT` for
/// frames of Ethernet type 0x86dd (IPv6) read from `protocol`, `TC_ACT_OK` otherwise.
const TC_MARK: &str = "
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+48]
    add %r2, %r3
    stxw [%r1+8], %r2
    ldxw %r4, [%r1+16]
    mov %r0, 0
    jne %r4, 0xdd86, out
    mov %r0, 2
out:
    exit
";

#[test]
fn a_traffic_control_program_reads_and_writes_its_sk_buff() {
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::SchedCls)
            .load_asm(TC_MARK)
            .unwrap();
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &frame(0x86dd, 80)).unwrap();
        ctx.set_field("cb", 1000).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}: TC_ACT_SHOT");
        assert_eq!(ctx.field("mark"), Ok(1080), "{backend}");
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &frame(0x0800, 64)).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(0), "{backend}: TC_ACT_OK");
        assert_eq!(ctx.field("mark"), Ok(64), "{backend}");
    }
}

#[test]
fn a_kprobe_reads_its_registers() {
    // The first argument register: `di` on x86-64 (offset 112), `x0` on aarch64 (offset 0).
    let first = if cfg!(target_arch = "aarch64") {
        0
    } else {
        112
    };
    let src = format!("ldxdw %r0, [%r1+{first}]\nexit");
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::Kprobe).load_asm(&src).unwrap();
        let mut regs = vec![0u64; 21];
        regs[first / 8] = 0xdead_beef;
        let mut ctx = Context::registers(ProgramType::Kprobe, &regs).unwrap();
        assert_eq!(loaded.execute(&mut ctx), Ok(0xdead_beef), "{backend}");
    }
}

#[test]
fn programs_that_break_their_types_rules_are_refused() {
    let vm = vm("interp", ProgramType::Xdp);
    let refused = |src: &str, why: &str| {
        let e = vm.load_asm(src).unwrap_err().to_string();
        assert!(e.contains(why), "{src}: {e}");
    };
    refused(
        "mov %r2, 1\nstxw [%r1+12], %r2\nmov %r0, 2\nexit",
        "is read-only",
    );
    refused("ldxw %r0, [%r1+24]\nexit", "no field there");
    // A packet access without a check against data_end.
    refused(
        "ldxw %r2, [%r1+0]\nldxb %r0, [%r2]\nexit",
        "compare with data_end first",
    );
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/progtypes/{name}.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An IPv4 frame carrying `proto` to `port` from `src`, with `options` 4-byte IP option words
/// and a TTL of `ttl`.
fn ipv4(proto: u8, port: u16, src: [u8; 4], options: usize, ttl: u8) -> Vec<u8> {
    let mut f = frame(0x0800, 14);
    let ihl = 5 + options;
    f.push(0x40 | ihl as u8);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, ttl, proto, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[10, 0, 0, 1]);
    f.extend(std::iter::repeat_n(1u8, options * 4));
    f.extend_from_slice(&4000u16.to_be_bytes());
    f.extend_from_slice(&port.to_be_bytes());
    f.extend_from_slice(&[0u8; 16]);
    f
}

/// An IPv6 frame carrying `proto` to `port`.
fn ipv6(proto: u8, port: u16) -> Vec<u8> {
    let mut f = frame(0x86dd, 14);
    f.extend_from_slice(&[0x60, 0, 0, 0, 0, 0, proto, 64]);
    f.extend_from_slice(&[0u8; 32]);
    f.extend_from_slice(&4000u16.to_be_bytes());
    f.extend_from_slice(&port.to_be_bytes());
    f.extend_from_slice(&[0u8; 16]);
    f
}

#[test]
fn a_clang_built_xdp_firewall_parses_nested_headers_on_every_backend() {
    let cases: Vec<(Vec<u8>, u64, &str)> = vec![
        (ipv4(17, 53, [192, 168, 0, 1], 0, 64), 2, "UDP to 53"),
        (ipv4(6, 22, [192, 168, 0, 2], 0, 64), 2, "TCP to 22"),
        (
            ipv4(6, 22, [192, 168, 0, 3], 2, 64),
            2,
            "TCP to 22 past IP options",
        ),
        (ipv4(6, 80, [192, 168, 0, 4], 0, 64), 1, "TCP to 80"),
        (
            ipv4(17, 53, [192, 168, 0, 5], 0, 64)[..40].to_vec(),
            1,
            "UDP cut short",
        ),
        (ipv6(17, 53), 2, "IPv6 UDP to 53"),
        (ipv6(6, 443), 1, "IPv6 TCP to 443"),
        (frame(0x0806, 42), 2, "ARP"),
        (vec![0u8; 10], 0, "shorter than Ethernet"),
    ];
    for backend in BACKENDS {
        let vm = vm(backend, ProgramType::Xdp);
        let obj = vm.open_elf(&fixture("xdp_firewall")).unwrap();
        let prog = obj.load(&vm, Some("xdp_firewall")).unwrap();
        for (packet, want, what) in &cases {
            let mut ctx = PacketContext::new(ProgramType::Xdp, packet).unwrap();
            assert_eq!(ctx.run(&prog), Ok(*want), "{backend}: {what}");
            assert_eq!(ctx.packet(), &packet[..], "{backend}: {what}: unchanged");
        }
        // Counters: one per action taken, summed over CPUs.
        let actions = obj.map("actions").unwrap();
        let total = |a: u32| -> u64 {
            let all = actions.lookup(&a.to_le_bytes()).unwrap();
            all.chunks(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .sum()
        };
        assert_eq!([total(0), total(1), total(2)], [1, 3, 5], "{backend}");
        let dropped = obj.map("dropped").unwrap();
        let n = dropped.lookup(&[192, 168, 0, 4]).unwrap();
        assert_eq!(
            u64::from_le_bytes(n[..8].try_into().unwrap()),
            1,
            "{backend}"
        );

        let reflect = obj.load(&vm, Some("xdp_reflect")).unwrap();
        let packet = ipv4(17, 53, [1, 2, 3, 4], 0, 9);
        let mut ctx = PacketContext::new(ProgramType::Xdp, &packet).unwrap();
        assert_eq!(ctx.run(&reflect), Ok(3), "{backend}: XDP_TX");
        assert_eq!(&ctx.packet()[0..6], &packet[6..12], "{backend}");
        assert_eq!(&ctx.packet()[6..12], &packet[0..6], "{backend}");
    }
}

#[test]
fn a_clang_built_tc_classifier_marks_counts_and_rewrites() {
    for backend in BACKENDS {
        let vm = vm(backend, ProgramType::SchedCls);
        let obj = vm.open_elf(&fixture("tc_classify")).unwrap();
        let prog = obj.load(&vm, None).unwrap();
        let packet = ipv4(17, 53, [1, 2, 3, 4], 0, 9);
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &packet).unwrap();
        assert_eq!(ctx.run(&prog), Ok(0), "{backend}: TC_ACT_OK");
        assert_eq!(ctx.field("mark"), Ok(0x100 + 17), "{backend}");
        assert_eq!(ctx.field("cb"), Ok(packet.len() as u64), "{backend}");
        assert_eq!(ctx.packet()[22], 8, "{backend}: TTL decremented");
        let last_hop = ipv4(6, 80, [1, 2, 3, 4], 0, 1);
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &last_hop).unwrap();
        assert_eq!(ctx.run(&prog), Ok(2), "{backend}: TC_ACT_SHOT");
        let bytes = obj.map("bytes_by_proto").unwrap();
        let udp = bytes.lookup(&17u32.to_le_bytes()).unwrap();
        assert_eq!(
            u64::from_le_bytes(udp[..8].try_into().unwrap()),
            packet.len() as u64
        );
    }
}

#[test]
fn a_clang_built_kprobe_sends_its_arguments_to_a_ring_buffer() {
    for backend in BACKENDS {
        let vm = vm(backend, ProgramType::Kprobe);
        let obj = vm.open_elf(&fixture("kprobe_open")).unwrap();
        let prog = obj.load(&vm, None).unwrap();
        let mut regs = vec![0u64; 21];
        regs[14] = 0x1234_5678_9abc; // di
        regs[13] = 0o100; // si
        let mut ctx = Context::registers(ProgramType::Kprobe, &regs).unwrap();
        if cfg!(target_arch = "x86_64") {
            assert_eq!(prog.execute(&mut ctx), Ok(0), "{backend}");
            let event = obj.map("events").unwrap().consume_one().unwrap();
            assert_eq!(
                &event[8..16],
                &0x1234_5678_9abcu64.to_le_bytes(),
                "{backend}"
            );
            assert_eq!(&event[4..8], &0o100u32.to_le_bytes(), "{backend}");
            assert_eq!(
                u32::from_le_bytes(event[0..4].try_into().unwrap()),
                std::process::id(),
                "{backend}"
            );
        }
    }
}

#[test]
fn packet_programs_are_verified_even_when_verification_is_off() {
    for backend in BACKENDS {
        let mut vm = vm(backend, ProgramType::Xdp);
        vm.config_mut().verify = false;
        // Loads and runs: its packet pointer loads were rewritten from the proofs.
        let loaded = vm.load_asm(XDP_SWAP_MACS).unwrap();
        let mut ctx = PacketContext::new(ProgramType::Xdp, &frame(0x0800, 60)).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}");
        // An unsafe one is still refused.
        assert!(
            vm.load_asm("ldxw %r2, [%r1+0]\nldxb %r0, [%r2]\nexit")
                .is_err()
        );
    }
}

#[test]
fn host_helpers_under_linux_names_get_linux_prototypes_and_callers() {
    use std::sync::{Arc, Mutex};
    let redirect_call = "mov %r1, 7\nmov %r2, 0\ncall 23\nexit";
    for backend in BACKENDS {
        // `bpf_redirect(ifindex, flags)`, implemented by the host without a prototype: Linux's
        // (two numbers) stands in, so a verified XDP program may call it.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut xdp = vm(backend, ProgramType::Xdp);
        let log = seen.clone();
        xdp.register_helper(23, "redirect", move |_, [ifindex, ..]| {
            log.lock().unwrap().push(ifindex);
            Ok(4)
        });
        let loaded = xdp.load_asm(redirect_call).unwrap();
        let mut ctx = PacketContext::new(ProgramType::Xdp, &frame(0x0800, 60)).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(4), "{backend}: XDP_REDIRECT");
        assert_eq!(*seen.lock().unwrap(), [7], "{backend}");
        // Linux lets no kprobe call it.
        let mut kprobe = vm(backend, ProgramType::Kprobe);
        kprobe.register_helper(23, "redirect", |_, _| Ok(0));
        let e = kprobe.load_asm(redirect_call).unwrap_err().to_string();
        assert!(
            e.contains("`bpf_redirect` may not be called by kprobe programs"),
            "{e}"
        );
        // Under another name it is the host's own helper: no prototype, refused as before.
        let mut other = vm(backend, ProgramType::Xdp);
        other.register_helper(23, "my_redirect", |_, _| Ok(0));
        let e = other.load_asm(redirect_call).unwrap_err().to_string();
        assert!(e.contains("has no prototype"), "{e}");
        // A Linux helper the host does not implement is named at load.
        let e = xdp
            .load_asm("mov %r1, 0\ncall 51\nexit")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("call to unknown helper 51 (Linux's `bpf_redirect_map`"),
            "{e}"
        );
    }
}

#[test]
fn a_refusal_of_a_clang_built_program_names_its_source_line() {
    // Over raw memory, `ctx->data` is a number, and reading through it is refused: the message
    // ends with the C line the instruction came from (from the object's `.BTF.ext`).
    let mut vm = Vm::new("interp").unwrap();
    vm.use_section_types(false);
    let obj = vm.open_elf(&fixture("xdp_firewall")).unwrap();
    let e = obj.load(&vm, Some("xdp_firewall")).unwrap_err().to_string();
    assert!(e.contains("is not a pointer"), "{e}");
    assert!(e.contains("(xdp_firewall.c:"), "{e}");
    assert!(e.contains("eth->h_proto"), "{e}");
}

/// Pushes a 4-byte tag in front of the frame (`xdp_adjust_head(ctx, -4)`), writes it, and cuts
/// the last 2 bytes (`xdp_adjust_tail(ctx, -2)`); XDP_ABORTED if a helper refuses.
const XDP_TAG_AND_TRIM: &str = "
    mov %r6, %r1
    mov %r2, -4
    call 44
    jne %r0, 0, fail
    mov %r1, %r6
    mov %r2, -2
    call 65
    jne %r0, 0, fail
    ldxw %r2, [%r6+0]
    ldxw %r3, [%r6+4]
    mov %r4, %r2
    add %r4, 4
    jgt %r4, %r3, fail
    stw [%r2], 0x64636261
    mov %r0, 2
    exit
fail:
    mov %r0, 0
    exit
";

#[test]
fn xdp_programs_move_their_packet_with_the_packet_helpers() {
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::Xdp)
            .load_asm(XDP_TAG_AND_TRIM)
            .unwrap();
        let frame = frame(0x0800, 60);
        let mut ctx = PacketContext::new(ProgramType::Xdp, &frame).unwrap();
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}");
        let mut want = b"abcd".to_vec();
        want.extend_from_slice(&frame[..58]);
        assert_eq!(ctx.packet(), &want[..], "{backend}");
        // 11 bytes, 15 with the tag: trimmed below an Ethernet header, the tail helper refuses.
        let mut short = PacketContext::new(ProgramType::Xdp, &frame[..11]).unwrap();
        assert_eq!(short.run(&loaded), Ok(0), "{backend}");
    }
}

#[test]
fn a_packet_program_given_forged_packet_pointers_traps_before_it_runs() {
    for backend in BACKENDS {
        let loaded = vm(backend, ProgramType::Xdp)
            .load_asm(XDP_SWAP_MACS)
            .unwrap();
        // Raw bytes instead of a packet context: the full-width pointers are zero.
        let r = loaded.execute(&mut [0u8; 64]);
        assert!(
            matches!(r, Err(ref t) if matches!(t.kind, oxbpf::TrapKind::OutOfBounds { .. })),
            "{backend}: {r:?}"
        );
        // Pointers outside the buffer: the same.
        let mut ctx = PacketContext::new(ProgramType::Xdp, &frame(0x0800, 60)).unwrap();
        let mut mem = ctx.memory().to_vec();
        mem[24..32].copy_from_slice(&0x1000u64.to_le_bytes());
        assert!(loaded.execute(&mut mem).is_err(), "{backend}");
        // No direct entry hands the check out.
        assert!(loaded.native_entry().is_none(), "{backend}");
        // A context built by the runtime runs.
        assert_eq!(ctx.run(&loaded), Ok(2), "{backend}");
    }
}

#[test]
fn a_socket_filter_reads_its_packet_with_the_legacy_loads() {
    let keep_all = u64::from(u32::MAX);
    let ssh = ipv4(6, 22, [1, 2, 3, 4], 0, 64);
    let cases: Vec<(Vec<u8>, u64, &str)> = vec![
        (ssh.clone(), keep_all, "TCP to 22"),
        (
            ipv4(6, 22, [1, 2, 3, 4], 3, 64),
            keep_all,
            "TCP to 22 past IP options",
        ),
        (
            ipv4(6, 80, [10, 0, 0, 1], 0, 64),
            64,
            "TCP to 80 from 10.0.0.1",
        ),
        (ipv4(6, 80, [1, 2, 3, 4], 0, 64), 0, "TCP to 80"),
        (ipv4(17, 22, [10, 0, 0, 1], 0, 64), 0, "UDP"),
        (frame(0x0806, 42), 0, "ARP"),
        // Loads past the end end the program with 0, as in Linux, rather than trapping.
        (ssh[..36].to_vec(), 0, "TCP cut before its port"),
        (ssh[..20].to_vec(), 0, "IPv4 cut before its protocol"),
        (vec![0u8; 10], 0, "shorter than Ethernet"),
    ];
    for backend in BACKENDS {
        let vm = vm(backend, ProgramType::SocketFilter);
        let obj = vm.open_elf(&fixture("socket_filter")).unwrap();
        assert_eq!(
            obj.program_type(&vm, Some("keep_ssh")).unwrap(),
            Some(ProgramType::SocketFilter)
        );
        let prog = obj.load(&vm, None).unwrap();
        for (packet, want, what) in &cases {
            let mut ctx = PacketContext::new(ProgramType::SocketFilter, packet).unwrap();
            assert_eq!(ctx.run(&prog), Ok(*want), "{backend}: {what}");
        }
        let bytes = obj.map("proto_bytes").unwrap();
        let total = |proto: u32| {
            u64::from_le_bytes(
                bytes.lookup(&proto.to_le_bytes()).unwrap()[..8]
                    .try_into()
                    .unwrap(),
            )
        };
        let tcp: usize = cases[..4].iter().map(|c| c.0.len()).sum::<usize>() + 36;
        assert_eq!(total(6), tcp as u64, "{backend}: TCP bytes");
        assert_eq!(total(17), cases[4].0.len() as u64, "{backend}: UDP bytes");
    }
}

#[test]
fn legacy_packet_loads_follow_linuxs_rules() {
    let refused = [
        // The packet is reached through the context in r6.
        (
            ProgramType::SchedCls,
            "ldabsb 0\nmov %r0, 0\nexit",
            "needs the context in r6",
        ),
        (
            ProgramType::SchedCls,
            "mov %r6, %r1\nldabsb 0\nmov %r0, %r1\nexit",
            "r1",
        ),
        (
            ProgramType::Xdp,
            "mov %r6, %r1\nldabsb 0\nexit",
            "not allowed in xdp programs",
        ),
        (
            ProgramType::SocketFilter,
            "mov %r6, %r1\nldabsb 0\ncall local f\nexit\nf:\nmov %r0, 0\nexit",
            "local function calls",
        ),
    ];
    for (t, src, why) in refused {
        let err = vm("interp", t)
            .load_asm(src)
            .err()
            .unwrap_or_else(|| panic!("{src}: accepted"));
        assert!(err.to_string().contains(why), "{src}: {err}");
    }
    // ldind adds a 32-bit offset: -1 + 2 reads byte 1.
    for backend in BACKENDS {
        let prog = vm(backend, ProgramType::SchedCls)
            .load_asm("mov %r6, %r1\nmov %r7, -1\nldindb %r7, 2\nexit")
            .unwrap();
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &[7, 9, 11]).unwrap();
        assert_eq!(ctx.run(&prog), Ok(9), "{backend}");
        let mut empty = PacketContext::new(ProgramType::SchedCls, &[]).unwrap();
        assert_eq!(empty.run(&prog), Ok(0), "{backend}: outside the packet");
    }
}

#[test]
fn metadata_passes_from_an_xdp_program_to_a_traffic_control_one() {
    for backend in BACKENDS {
        let xdp_vm = vm(backend, ProgramType::Xdp);
        let obj = xdp_vm.open_elf(&fixture("xdp_meta")).unwrap();
        let xdp = obj.load(&xdp_vm, Some("xdp_mark")).unwrap();
        let tc_vm = vm(backend, ProgramType::SchedCls);
        let tc = obj.load(&tc_vm, Some("tc_mark")).unwrap();
        for (packet, mark) in [
            (ipv4(17, 53, [1, 2, 3, 4], 0, 64), 0x4211u32),
            (ipv4(6, 22, [1, 2, 3, 4], 0, 64), 0x4206),
            (frame(0x0806, 20), 0),
        ] {
            let mut rx = PacketContext::new(ProgramType::Xdp, &packet).unwrap();
            assert_eq!(rx.run(&xdp), Ok(2), "{backend}: XDP_PASS");
            assert_eq!(rx.packet(), &packet[..], "{backend}: the packet stays");
            assert_eq!(rx.metadata(), &mark.to_le_bytes()[..], "{backend}");

            let mut skb = PacketContext::new(ProgramType::SchedCls, &packet).unwrap();
            skb.set_metadata(rx.metadata()).unwrap();
            assert_eq!(skb.run(&tc), Ok(0), "{backend}: TC_ACT_OK");
            assert_eq!(skb.field("mark"), Ok(u64::from(mark)), "{backend}");
        }
        // Without metadata the tc program's check fails.
        let mut bare = PacketContext::new(ProgramType::SchedCls, &frame(0x0800, 40)).unwrap();
        assert_eq!(bare.run(&tc), Ok(2), "{backend}: TC_ACT_SHOT");
    }
}

#[test]
fn metadata_is_reached_only_where_proven() {
    // Reading metadata without comparing with data first, or past what was compared.
    let unchecked = "ldxw %r2, [%r1+8]\nldxw %r0, [%r2+0]\nexit";
    let past = "ldxw %r2, [%r1+8]\nldxw %r3, [%r1+0]\nmov %r4, %r2\nadd %r4, 4\n\
                jgt %r4, %r3, out\nldxw %r0, [%r2+4]\nexit\nout:\nmov %r0, 0\nexit";
    for src in [unchecked, past] {
        let err = vm("interp", ProgramType::Xdp).load_asm(src).err().unwrap();
        assert!(err.to_string().contains("metadata bytes proven"), "{err}");
    }
    // Cgroup skb programs have no metadata, as in Linux.
    let err = vm("interp", ProgramType::CgroupSkb)
        .load_asm("ldxw %r2, [%r1+140]\nmov %r0, 1\nexit")
        .err()
        .unwrap();
    assert!(err.to_string().contains("no field there"), "{err}");
}

/// `fib_lookup(ctx, params, 64, 0)` over 64 bytes of stack, `SETUP` filling them.
fn fib_lookup_program(setup: &str) -> String {
    format!(
        "{setup}mov %r2, %r10\nadd %r2, -64\nmov %r3, 64\nmov %r4, 0\ncall 69\n\
         ldxdw %r0, [%r10-64]\nexit"
    )
}

#[test]
fn linux_helpers_no_one_implements_are_refused_or_trap_as_the_host_chooses() {
    let zeroed: String = (1..=8)
        .map(|i| format!("stdw [%r10-{}], 0\n", i * 8))
        .collect();
    let program = fib_lookup_program(&zeroed);
    for backend in BACKENDS {
        let mut vm = vm(backend, ProgramType::Xdp);
        let err = vm.load_asm(&program).err().unwrap();
        assert!(
            err.to_string().contains("bpf_fib_lookup"),
            "{backend}: {err}"
        );

        vm.set_missing_helpers(oxbpf::MissingHelpers::Trap);
        let loaded = vm.load_asm(&program).unwrap();
        let mut ctx = PacketContext::new(ProgramType::Xdp, &frame(0x0800, 60)).unwrap();
        let trap = ctx.run(&loaded).unwrap_err();
        assert_eq!(trap.pc, 12, "{backend}");
        assert!(
            trap.to_string()
                .contains("`bpf_fib_lookup` is not implemented"),
            "{backend}: {trap}"
        );
    }
    // Checked against Linux's prototype: its parameters must be initialised memory the helper
    // may rewrite, so neither uninitialised bytes nor a spilled pointer may be handed over, and
    // a host implementing it is called.
    let mut vm = vm("interp", ProgramType::Xdp);
    vm.set_missing_helpers(oxbpf::MissingHelpers::Trap);
    let err = vm.load_asm(&fib_lookup_program("")).err().unwrap();
    assert!(err.to_string().contains("not written"), "{err}");
    let spilled = format!("{zeroed}stxdw [%r10-64], %r1\n");
    let err = vm.load_asm(&fib_lookup_program(&spilled)).err().unwrap();
    assert!(err.to_string().contains("would leak"), "{err}");
    // After the call, what the helper may have written is a number.
    vm.register_helper(69, "fib_lookup", |hc, [_, params, len, ..]| {
        let mut b = vec![0u8; len as usize];
        b[0] = 7;
        hc.memory
            .write(params, &b)
            .map_err(|f| oxbpf::HelperStop::Error(f.to_string()))?;
        Ok(0)
    });
    let loaded = vm.load_asm(&program).unwrap();
    let mut ctx = PacketContext::new(ProgramType::Xdp, &frame(0x0800, 60)).unwrap();
    assert_eq!(ctx.run(&loaded), Ok(7));
}

#[test]
fn sk_msg_and_sock_ops_programs_reach_their_bytes_through_packet_pointers() {
    let upper = "ldxdw %r2, [%r1+0]\nldxdw %r3, [%r1+8]\nmov %r4, %r2\nadd %r4, 4\n\
                 jgt %r4, %r3, out\nldxw %r5, [%r2+0]\nxor %r5, 0x20202020\nstxw [%r2+0], %r5\n\
                 ldxw %r0, [%r1+68]\nexit\nout:\nmov %r0, 0\nexit";
    // The TCP flags of the header a sock_ops callback sees, 0 without one.
    let flags = "ldxdw %r2, [%r1+192]\nldxdw %r3, [%r1+200]\nmov %r4, %r2\nadd %r4, 14\n\
                 mov %r0, 0\njgt %r4, %r3, out\nldxb %r0, [%r2+13]\nout:\nexit";
    for backend in BACKENDS {
        let msg = vm(backend, ProgramType::SkMsg).load_asm(upper).unwrap();
        let mut ctx = PacketContext::new(ProgramType::SkMsg, b"ping pong").unwrap();
        assert_eq!(ctx.run(&msg), Ok(9), "{backend}: the message's size");
        assert_eq!(ctx.packet(), b"PING pong", "{backend}");
        let mut short = PacketContext::new(ProgramType::SkMsg, b"hi").unwrap();
        assert_eq!(short.run(&msg), Ok(0), "{backend}");

        let ops = vm(backend, ProgramType::SockOps).load_asm(flags).unwrap();
        let mut tcp = [0u8; 20];
        tcp[13] = 0x12; // SYN, ACK
        let mut ctx = PacketContext::new(ProgramType::SockOps, &tcp).unwrap();
        assert_eq!(ctx.run(&ops), Ok(0x12), "{backend}");
        let mut none = PacketContext::new(ProgramType::SockOps, &[]).unwrap();
        assert_eq!(none.run(&ops), Ok(0), "{backend}");
    }
}

#[test]
fn an_array_left_unsized_gets_one_slot_per_cpu() {
    let cpus = oxbpf_helpers::cpu::count();
    for backend in BACKENDS {
        let vm = vm(backend, ProgramType::RawTracepoint);
        let obj = vm.open_elf(&fixture("scratch_per_cpu")).unwrap();
        assert_eq!(obj.elf().maps()[0].def.max_entries, 0, "as the object says");
        let scratch = obj.map("frame_scratch_map").unwrap();
        assert_eq!(scratch.def().max_entries, cpus, "{backend}");
        let prog = obj.load(&vm, None).unwrap();
        let mut ctx = Context::raw_tracepoint(&[5, 7]);
        assert_eq!(prog.execute(&mut ctx), Ok(5 + 14), "{backend}");
        let held: Vec<Vec<u8>> = (0..cpus)
            .filter_map(|c| scratch.lookup(&c.to_le_bytes()).ok())
            .filter(|v| v[..8] == 5u64.to_le_bytes())
            .collect();
        assert_eq!(held.len(), 1, "{backend}: one slot written");
        assert_eq!(held[0][8..16], 14u64.to_le_bytes(), "{backend}");
    }
}
