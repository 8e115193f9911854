//! The socket a packet belongs to (`tests/fixtures/realworld/socket_state.c`): `skb->sk` and
//! `bpf_sock_ops.sk` checked for null, `bpf_sk_fullsock`, `bpf_get_listener_sock` and
//! `bpf_tcp_sock`, over sockets the host puts in the context (`PacketContext::set_socket`), on
//! every backend; and what the verifier and the runtime refuse.

use oxbpf::context::PacketContext;
use oxbpf::{BACKENDS, Loaded, Object, ProgramType, Vm};

fn object(backend: &str) -> (Vm, Object) {
    let path = format!(
        "{}/tests/fixtures/realworld/socket_state.o",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vm = Vm::new(backend).unwrap();
    let obj = vm.open_elf(&bytes).unwrap();
    (vm, obj)
}

/// A `struct bpf_sock`: IPv4, `ty` (1 stream, 2 datagram), `protocol`, `state`, source port
/// 4242, destination port 80 (network order).
fn sock(ty: u32, protocol: u32, state: u32) -> Vec<u8> {
    let mut s = vec![0u8; 80];
    s[4..8].copy_from_slice(&2u32.to_le_bytes());
    s[8..12].copy_from_slice(&ty.to_le_bytes());
    s[12..16].copy_from_slice(&protocol.to_le_bytes());
    s[44..48].copy_from_slice(&4242u32.to_le_bytes());
    s[48..50].copy_from_slice(&80u16.to_be_bytes());
    s[72..76].copy_from_slice(&state.to_le_bytes());
    s
}

/// A `struct bpf_tcp_sock`'s first bytes: `snd_cwnd`, `srtt_us`, and `bytes_acked`.
fn tcp(cwnd: u32, srtt_us: u32, bytes_acked: u64) -> Vec<u8> {
    let mut t = vec![0u8; 96];
    t[0..4].copy_from_slice(&cwnd.to_le_bytes());
    t[4..8].copy_from_slice(&srtt_us.to_le_bytes());
    t[88..96].copy_from_slice(&bytes_acked.to_le_bytes());
    t
}

const ESTABLISHED: u32 = 1;
const TIME_WAIT: u32 = 6;
const LISTEN: u32 = 10;

/// The flow `sock_stats` recorded for source port 4242: family, state, destination port (as
/// its 16 bits load), congestion window, bytes acknowledged.
fn flow(obj: &Object) -> Option<(u32, u32, u32, u32, u64)> {
    let v = obj
        .map("flows")
        .unwrap()
        .lookup(&4242u32.to_le_bytes())
        .ok()?;
    let w = |i: usize| u32::from_le_bytes(v[i..i + 4].try_into().unwrap());
    Some((
        w(0),
        w(4),
        w(8),
        w(12),
        u64::from_le_bytes(v[16..24].try_into().unwrap()),
    ))
}

fn run(prog: &Loaded, t: ProgramType, socket: Option<(Vec<u8>, Vec<u8>)>) -> u64 {
    let mut ctx = PacketContext::new(t, &[0u8; 40]).unwrap();
    if let Some((s, t)) = socket {
        ctx.set_socket(&s, &t).unwrap();
    }
    ctx.run(prog).unwrap()
}

#[test]
fn a_classifier_reads_its_packets_socket_and_tcp_state() {
    let port80 = u32::from(u16::from_ne_bytes(80u16.to_be_bytes()));
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = obj.load(&vm, Some("sock_stats")).unwrap();
        let t = ProgramType::SchedCls;
        assert_eq!(run(&prog, t, None), 100, "{backend}: no socket");
        assert_eq!(flow(&obj), None);
        let listener = Some((sock(1, 6, LISTEN), tcp(10, 0, 0)));
        assert_eq!(run(&prog, t, listener), 103, "{backend}: a listener");
        let time_wait = Some((sock(1, 6, TIME_WAIT), tcp(10, 0, 0)));
        assert_eq!(
            run(&prog, t, time_wait),
            101,
            "{backend}: not a full socket"
        );
        let udp = Some((sock(2, 17, 7), Vec::new()));
        assert_eq!(run(&prog, t, udp), 102, "{backend}: no TCP state");
        assert_eq!(flow(&obj), Some((2, 7, port80, 0, 0)), "{backend}");
        let established = Some((sock(1, 6, ESTABLISHED), tcp(17, 800, 123_456)));
        assert_eq!(run(&prog, t, established), 17, "{backend}: snd_cwnd");
        assert_eq!(
            flow(&obj),
            Some((2, ESTABLISHED, port80, 17, 123_456)),
            "{backend}"
        );
    }
}

#[test]
fn a_sock_ops_program_reads_its_sockets_round_trip_time() {
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = obj.load(&vm, Some("rtt_watch")).unwrap();
        let t = ProgramType::SockOps;
        assert_eq!(run(&prog, t, None), 0, "{backend}: no socket");
        let udp = Some((sock(2, 17, 7), Vec::new()));
        assert_eq!(run(&prog, t, udp), 1, "{backend}: no TCP state");
        let tcp_sock = Some((sock(1, 6, ESTABLISHED), tcp(10, 800, 0)));
        assert_eq!(run(&prog, t, tcp_sock), 100, "{backend}: srtt_us >> 3");
    }
}

#[test]
fn a_context_whose_socket_field_points_elsewhere_is_refused() {
    for backend in BACKENDS {
        let (vm, obj) = object(backend);
        let prog = obj.load(&vm, Some("sock_stats")).unwrap();
        let mut ctx = PacketContext::new(ProgramType::SchedCls, &[0u8; 40]).unwrap();
        ctx.set_socket(&sock(1, 6, ESTABLISHED), &tcp(17, 0, 0))
            .unwrap();
        let mem = ctx.memory();
        // __sk_buff.sk at 168: the address of the packet's bytes instead of the socket's.
        let forged = mem.as_ptr() as u64 + mem.len() as u64 - 300;
        mem[168..176].copy_from_slice(&forged.to_le_bytes());
        assert!(prog.execute(mem).is_err(), "{backend}");
        // With the socket's own address, it runs.
        let mem = ctx.memory();
        assert_eq!(prog.execute(mem), Ok(17), "{backend}");
    }
}

#[test]
fn sockets_are_checked_for_null_read_whole_and_never_written() {
    let vm = |t| {
        let mut vm = Vm::new("interp").unwrap();
        vm.set_program_type(Some(t));
        vm
    };
    let tc = ProgramType::SchedCls;
    for (asm, why) in [
        // skb->sk read without a null check.
        (
            "ldxdw %r2, [%r1+168]\nldxw %r0, [%r2+4]\nexit",
            "may be null",
        ),
        // Written.
        (
            "ldxdw %r2, [%r1+168]\njeq %r2, 0, +2\nmov %r3, 1\nstxw [%r2+4], %r3\nmov %r0, 0\nexit",
            "a socket is read-only",
        ),
        // `protocol` through the common part.
        (
            "ldxdw %r2, [%r1+168]\njeq %r2, 0, +1\nldxw %r0, [%r2+12]\nmov %r0, 0\nexit",
            "not in a socket's common part",
        ),
        // Moved.
        (
            "ldxdw %r2, [%r1+168]\njeq %r2, 0, +1\nadd %r2, 4\nmov %r0, 0\nexit",
            "arithmetic on",
        ),
        // Half of the pointer.
        ("ldxw %r2, [%r1+168]\nmov %r0, 0\nexit", "whole"),
        // Past its end.
        (
            "ldxdw %r2, [%r1+168]\njeq %r2, 0, +1\nldxw %r0, [%r2+80]\nmov %r0, 0\nexit",
            "invalid access to bpf_sock",
        ),
    ] {
        let err = vm(tc).load_asm(asm).unwrap_err().to_string();
        assert!(err.contains(why), "{asm}: {err}");
    }
    // A socket's TCP state only through bpf_tcp_sock, checked for null.
    let err = vm(tc)
        .load_asm(
            "ldxdw %r1, [%r1+168]\njeq %r1, 0, +2\ncall 96\nldxw %r0, [%r0+0]\nmov %r0, 0\nexit",
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("may be null"), "{err}");
}
