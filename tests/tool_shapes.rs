//! Programs in the shapes real tools write them (`tests/fixtures/realworld`): an XDP filter that
//! moves a header cursor by variable lengths as xdp-tools' parsers do, and tracing programs as
//! libbpf-tools writes them (`__kconfig` externs, a perf event array sized by the loader, a
//! lookup compared with a stack address, `bpf_probe_read_kernel` of a tracepoint record) —
//! verified, and run on every backend against answers computed here.

use oxbpf::context::{Context, PacketContext};
use oxbpf::{BACKENDS, Error, Kconfig, Object, OpenOptions, ProgramType, Vm};
use std::collections::BTreeMap;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/realworld/{name}.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const ABORTED: u64 = 0;
const DROP: u64 = 1;
const PASS: u64 = 2;

fn be16(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// What `xdp_parser.c` decides for `p`, written from its description: the action, and the L4
/// protocol whose byte counter it adds the frame's length to.
fn expected(p: &[u8]) -> (u64, Option<u8>) {
    let len = p.len();
    if len < 14 {
        return (ABORTED, None);
    }
    let mut ty = be16(p, 12);
    let mut pos = 14;
    for _ in 0..2 {
        if !matches!(ty, 0x8100 | 0x88a8) || pos + 4 > len {
            break;
        }
        ty = be16(p, pos + 2);
        pos += 4;
    }
    let proto = match ty {
        0x0800 => {
            if pos + 20 > len {
                return (DROP, None);
            }
            let ihl = usize::from(p[pos] & 0xf) * 4;
            if ihl < 20 || pos + ihl > len {
                return (DROP, None);
            }
            let proto = p[pos + 9];
            pos += ihl;
            proto
        }
        0x86dd => {
            if pos + 40 > len {
                return (DROP, None);
            }
            let mut next = p[pos + 6];
            pos += 40;
            for _ in 0..3 {
                if pos + 2 > len {
                    return (DROP, None);
                }
                let hdrlen = usize::from(p[pos + 1]);
                match next {
                    0 | 43 | 60 => {
                        next = p[pos];
                        pos += (hdrlen + 1) * 8;
                    }
                    51 => {
                        next = p[pos];
                        pos += (hdrlen + 2) * 4;
                    }
                    _ => break,
                }
            }
            next
        }
        _ => return (PASS, None),
    };
    let port = |need: usize, want: u16| {
        if pos + need > len {
            DROP
        } else if be16(p, pos + 2) == want {
            PASS
        } else {
            DROP
        }
    };
    let action = match proto {
        17 => port(8, 53),
        6 => port(20, 22),
        _ => DROP,
    };
    (action, Some(proto))
}

/// Frames of every shape the parser knows, and each cut short at every length.
fn frames() -> Vec<Vec<u8>> {
    let mut whole = Vec::new();
    let eth = |ty: u16, tags: &[u16]| {
        let mut f: Vec<u8> = (0..12).collect();
        for &t in tags {
            f.extend_from_slice(&t.to_be_bytes());
            f.extend_from_slice(&[0x00, 0x2a]);
        }
        f.extend_from_slice(&ty.to_be_bytes());
        f
    };
    let l4 = |proto: u8, port: u16| -> Vec<u8> {
        let n = if proto == 6 { 20 } else { 8 };
        let mut h = vec![0x30, 0x39];
        h.extend_from_slice(&port.to_be_bytes());
        h.resize(n, 7);
        h
    };
    let l4s = [(17, 53), (17, 80), (6, 22), (6, 443), (1, 0)];
    for tags in [
        &[][..],
        &[0x8100],
        &[0x88a8, 0x8100],
        &[0x8100, 0x8100, 0x8100],
    ] {
        whole.push(eth(0x0806, tags));
        for options in [0usize, 1, 10] {
            for &(proto, port) in &l4s {
                let mut f = eth(0x0800, tags);
                f.push(0x45 + options as u8);
                f.extend_from_slice(&[0, 0, 40, 0, 0, 0, 0, 64, proto, 0, 0]);
                f.extend_from_slice(&[192, 168, 0, 1, 10, 0, 0, 1]);
                f.extend(std::iter::repeat_n(1u8, options * 4));
                f.extend(l4(proto, port));
                whole.push(f);
            }
        }
        // IPv6 with chains of extension headers: (type, hdrlen).
        let chains: [&[(u8, u8)]; 5] = [
            &[],
            &[(0, 0)],
            &[(0, 1), (43, 0)],
            &[(51, 1)],
            &[(60, 0), (51, 2), (43, 1)],
        ];
        for chain in chains {
            for &(proto, port) in &l4s {
                let mut f = eth(0x86dd, tags);
                let first = chain.first().map_or(proto, |c| c.0);
                f.extend_from_slice(&[0x60, 0, 0, 0, 0, 40, first, 64]);
                f.extend(std::iter::repeat_n(2u8, 32));
                for (i, &(ty, hdrlen)) in chain.iter().enumerate() {
                    let next = chain.get(i + 1).map_or(proto, |c| c.0);
                    let size = if ty == 51 {
                        (usize::from(hdrlen) + 2) * 4
                    } else {
                        (usize::from(hdrlen) + 1) * 8
                    };
                    let mut h = vec![next, hdrlen];
                    h.resize(size, 3);
                    f.extend(h);
                }
                f.extend(l4(proto, port));
                whole.push(f);
            }
        }
    }
    let mut all = Vec::new();
    for f in &whole {
        for cut in 0..=f.len() {
            all.push(f[..cut].to_vec());
        }
    }
    all
}

#[test]
fn an_xdp_parser_moving_its_cursor_by_header_lengths_runs_alike_on_every_backend() {
    let frames = frames();
    let mut want_bytes: BTreeMap<u32, u64> = BTreeMap::new();
    for f in &frames {
        if let (_, Some(proto)) = expected(f) {
            *want_bytes.entry(u32::from(proto)).or_default() += f.len() as u64;
        }
    }
    for backend in BACKENDS {
        let mut vm = Vm::new(backend).unwrap();
        vm.set_program_type(Some(ProgramType::Xdp));
        let obj = vm.open_elf(&fixture("xdp_parser")).unwrap();
        let prog = obj.load(&vm, None).unwrap();
        for f in &frames {
            let mut ctx = PacketContext::new(ProgramType::Xdp, f).unwrap();
            assert_eq!(
                ctx.run(&prog),
                Ok(expected(f).0),
                "{backend}: frame of {} bytes {f:02x?}",
                f.len()
            );
        }
        let counters = obj.map("by_proto").unwrap();
        for proto in 0..256u32 {
            let got = counters.lookup(&proto.to_le_bytes()).unwrap();
            let got = u64::from_le_bytes(got.try_into().unwrap());
            assert_eq!(
                got,
                want_bytes.get(&proto).copied().unwrap_or(0),
                "{backend}: bytes of protocol {proto}"
            );
        }
    }
}

/// Registers for a kprobe whose second argument (`si`) is `arg`.
fn regs(arg: u64) -> Vec<u64> {
    let mut regs = vec![0u64; 21];
    regs[13] = arg;
    regs
}

#[test]
fn kconfig_externs_take_the_hosts_values_and_weak_ones_default_to_zero() {
    for backend in BACKENDS {
        let mut vm = Vm::new(backend).unwrap();
        vm.set_program_type(Some(ProgramType::Kprobe));
        for (kver, hz, want) in [(0x05_0f_00u64, None, 1), (0x04_0e_00, Some(250u64), 0)] {
            let mut options = OpenOptions::new();
            options.kconfig("LINUX_KERNEL_VERSION", kver);
            if let Some(hz) = hz {
                options.kconfig("CONFIG_HZ", hz);
            }
            let obj = Object::open_with(&fixture("tracer"), &options).unwrap();
            let events = obj.map("events").unwrap();
            for cpu in 0..events.def().max_entries {
                events.perf_open(cpu, 1, 1 << 16).unwrap();
            }
            let prog = obj.load(&vm, Some("trace_open")).unwrap();
            let mut ctx = Context::registers(ProgramType::Kprobe, &regs(0o644)).unwrap();
            if !cfg!(target_arch = "x86_64") {
                continue;
            }
            assert_eq!(prog.execute(&mut ctx), Ok(want), "{backend} {kver:#x}");
            let mut event = std::process::id().to_le_bytes().to_vec();
            event.extend_from_slice(&(kver as u32).to_le_bytes());
            event.extend_from_slice(&(hz.unwrap_or(0) as u32).to_le_bytes());
            event.extend_from_slice(&[0; 4]);
            event.extend_from_slice(&0o644u64.to_le_bytes());
            let stored = obj
                .map("last")
                .unwrap()
                .lookup(&std::process::id().to_le_bytes())
                .unwrap();
            assert_eq!(stored, event, "{backend}: the event the hash holds");
            let sent: Vec<Vec<u8>> = (0..events.def().max_entries)
                .flat_map(|cpu| events.take_perf_records(cpu))
                .collect();
            assert_eq!(sent, vec![event], "{backend}: the perf event output");
        }
    }
}

#[test]
fn a_kconfig_extern_without_a_value_is_refused_by_name() {
    let mut options = OpenOptions::new();
    options.kconfig_values(Kconfig::new());
    match Object::open_with(&fixture("tracer"), &options) {
        Err(Error::Elf(e)) => {
            let text = e.to_string();
            assert!(text.contains("extern `LINUX_KERNEL_VERSION`"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // The weak one alone may stay without a value; one that does not fit is refused.
    options.kconfig("LINUX_KERNEL_VERSION", 1 << 40);
    let err = Object::open_with(&fixture("tracer"), &options).unwrap_err();
    assert!(
        err.to_string().contains("does not fit its 4 bytes"),
        "{err}"
    );
}

#[test]
fn a_tracepoint_reads_an_array_of_its_record_through_probe_read_kernel() {
    for backend in BACKENDS {
        let mut vm = Vm::new(backend).unwrap();
        vm.set_program_type(Some(ProgramType::Tracepoint));
        let obj = vm.open_elf(&fixture("tracer")).unwrap();
        let prog = obj.load(&vm, Some("trace_state")).unwrap();
        let mut record: Vec<u8> = (0..72).map(|i| (i * 3) as u8).collect();
        assert_eq!(prog.execute(&mut record), Ok(0), "{backend}");
        let seen = obj.map("seen_v6").unwrap().lookup(&0u32.to_le_bytes());
        assert_eq!(seen.unwrap(), &record[40..56], "{backend}");
        // A record too short for the field: the helper's own check fails, the slot is zeroed.
        let mut short = record[..48].to_vec();
        // The program returns an `int`: -EFAULT in the low 32 bits.
        assert_eq!(
            prog.execute(&mut short),
            Ok(u64::from((-14i32) as u32)),
            "{backend}"
        );
        let seen = obj.map("seen_v6").unwrap().lookup(&0u32.to_le_bytes());
        assert_eq!(seen.unwrap(), vec![0; 16], "{backend}");
    }
}

#[test]
fn a_kernel_symbol_is_refused_by_name_and_the_rest_of_the_object_loads() {
    let mut vm = Vm::new("interp").unwrap();
    vm.set_program_type(Some(ProgramType::Kprobe));
    let obj = vm.open_elf(&fixture("tracer")).unwrap();
    let err = obj.load(&vm, Some("uses_ksym")).unwrap_err().to_string();
    assert!(
        err.contains("`bpf_prog_active`") && err.contains("__ksym"),
        "{err}"
    );
    assert!(obj.load(&vm, Some("trace_open")).is_ok());
}

#[test]
fn hosts_size_the_maps_an_object_leaves_to_its_loader() {
    let obj = Object::open(&fixture("tracer")).unwrap();
    // The perf event array without max_entries: one slot per CPU.
    assert!(obj.map("events").unwrap().def().max_entries >= 1);
    let mut options = OpenOptions::new();
    options.max_entries("last", 8).value_size("seen_v6", 32);
    let obj = Object::open_with(&fixture("tracer"), &options).unwrap();
    assert_eq!(obj.map("last").unwrap().def().max_entries, 8);
    assert_eq!(obj.map("seen_v6").unwrap().def().value_size, 32);
    let mut options = OpenOptions::new();
    options.max_entries("nope", 8);
    let err = Object::open_with(&fixture("tracer"), &options).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
