//! The lowering, bytecode in and instructions out: small JavaScript functions compiled to
//! QuickJS bytecode (as a bundle's), lowered, and the instructions' key properties checked —
//! the prologue and the failure exit, the bounds checks before `ctx` reads, helper calls by
//! their standard ids, maps by position, jumps that land on instructions, a frame inside
//! eBPF's 512 bytes — and refusals naming the instruction.

use oxbpf_core::Insn;
use oxbpf_core::isa::{Cond, Imm64Kind, Operand, Reg, decode, encode};
use oxbpf_helpers::standard;
use oxbpf_loader::mbpf::manifest::{
    CAP_EMIT, CAP_LOG, CAP_MAP_READ, CAP_MAP_WRITE, CAP_TIME, Hook, Manifest, MapDecl, MapKind,
};
use oxbpf_lower::{GLOBALS, LowerError, LowerErrorKind, listing, lower};
use oxbpf_quickjs::compile;

fn lowered(js: &str, m: &Manifest) -> Result<Vec<Insn>, LowerError> {
    lower(&compile(js, &m.entry).unwrap(), m)
}

fn map(name: &str, kind: MapKind, value_size: u32) -> MapDecl {
    MapDecl {
        name: name.into(),
        kind,
        key_size: 4,
        value_size,
        max_entries: 4,
        flags: 0,
    }
}

/// The helper ids a program calls.
fn helpers(p: &[Insn]) -> Vec<u32> {
    let mut ids: Vec<u32> = p
        .iter()
        .filter_map(|i| match i {
            Insn::Call { helper } => Some(*helper),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What every lowered program keeps: it encodes and decodes back to itself, its jumps land on
/// instructions (never on an `lddw`'s second slot), its frame accesses stay in 512 bytes, and it
/// ends with the failure exit (the hook's default).
fn well_formed(p: &[Insn], default: i32) {
    assert_eq!(decode(&encode(p)).unwrap(), p);
    for (pc, i) in p.iter().enumerate() {
        if let Some(t) = i.jump_target(pc) {
            assert!(t < p.len() && p[t] != Insn::LoadImm64Tail, "{pc}: {i}");
        }
        if let Insn::Load { src: r, off, .. } | Insn::Store { dst: r, off, .. } = *i
            && r == Reg::R10
        {
            assert!((-512..0).contains(&off), "{pc}: {i}");
        }
    }
    assert_eq!(
        listing(&p[p.len() - 2..]),
        [format!("mov32 %r0, {default}"), "exit".into()]
    );
}

#[test]
fn a_constant_return_is_the_prologue_and_one_exit() {
    let m = Manifest::new("seven", "1.0", Hook::NetRx);
    let p = lowered("function mbpf_prog(ctx) { return 7; }", &m).unwrap();
    assert_eq!(
        listing(&p),
        [
            // The blob in r6, its length in r7: at least the header (32 bytes for NET_RX), at
            // most 2^32 - 1 bytes of data; the helper-call counter set to 0.
            "mov %r6, %r1",
            "mov %r7, %r2",
            "jlt %r7, 32, +7",
            "lddw %r0, 0x10000001f",
            "jgt %r7, %r0, +4",
            "stdw [%r10-8], 0",
            // The constant pushed (operand-stack slot 0 is r8), then returned.
            "mov %r8, 7",
            "mov32 %r0, 7",
            "exit",
            // The failure exit: NET_RX's default, PASS.
            "mov32 %r0, 0",
            "exit",
        ]
    );
    // The listing skips the `lddw`'s second slot, which the program holds.
    assert_eq!(p.len(), 12);
    assert_eq!(p[4], Insn::LoadImm64Tail);
    well_formed(&p, 0);
}

#[test]
fn a_ctx_read_is_bounds_checked_against_the_blob_length() {
    let m = Manifest::new("drop_ff", "1.0", Hook::NetRx);
    let p = lowered(include_str!("../../examples/mbpf/net_rx_drop_ff.js"), &m).unwrap();
    well_formed(&p, 0);
    let fail = p.len() - 2;
    // `readU8(0)`: the offset plus one byte past the header must be within the blob's length
    // (r7), or the run fails; then the byte after the 32-byte header.
    let read = listing(&p)
        .iter()
        .position(|l| l == "ldxb %r0, [%r1+32]")
        .expect("the read");
    let text = listing(&p);
    assert_eq!(
        text[read - 5..read],
        [
            "mov %r1, %r0",
            "add %r1, 33",
            "jgt %r1, %r7, +13",
            "mov %r1, %r6",
            "add %r1, %r0",
        ]
    );
    let check = p
        .iter()
        .position(|i| {
            matches!(i, Insn::Jump { cond: Cond::Gt, dst, src: Operand::Reg(src), .. }
                if dst.index() == 1 && src.index() == 7)
        })
        .unwrap();
    assert_eq!(p[check].jump_target(check), Some(fail));
    // `=== 0xff` and its branch fused into one conditional jump.
    assert!(text.contains(&"jne %r0, 255, +3".to_owned()), "{text:#?}");
}

#[test]
fn helpers_are_called_by_their_standard_ids() {
    let js = "const buf = new Uint8Array(8);\n\
        function mbpf_prog(ctx) {\n\
          const t = [0, 0];\n\
          mbpf.nowNs(t);\n\
          mbpf.log(1, 'len ' + ctx.data_len);\n\
          maps.hits.add(ctx.data_len & 3, 1);\n\
          maps.events.submit(buf);\n\
          mbpf.emit(3, buf);\n\
          return maps.arr.update(0, buf) && maps.h.delete(buf) ? 1 : 0;\n\
        }\n";
    let mut m = Manifest::new("rich", "1.0", Hook::Tracepoint);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE | CAP_LOG | CAP_TIME | CAP_EMIT;
    m.maps = vec![
        map("arr", MapKind::Array, 8),
        map("hits", MapKind::Counter, 8),
        map("events", MapKind::Ring, 8),
        map("h", MapKind::Hash, 8),
    ];
    let p = lowered(js, &m).unwrap();
    well_formed(&p, 0);
    let mut want: Vec<u32> = [
        standard::MAP_LOOKUP_ELEM,
        standard::MAP_UPDATE_ELEM,
        standard::MAP_DELETE_ELEM,
        standard::KTIME_GET_NS,
        standard::TRACE_PRINTK,
        standard::RINGBUF_OUTPUT,
        standard::RINGBUF_RESERVE,
        standard::RINGBUF_SUBMIT,
    ]
    .iter()
    .map(|h| h.id)
    .collect();
    want.sort_unstable();
    assert_eq!(helpers(&p), want);
    // The clock is read once, first thing after the prologue.
    let clock = p
        .iter()
        .filter(|i| {
            **i == Insn::Call {
                helper: standard::KTIME_GET_NS.id,
            }
        })
        .count();
    assert_eq!(clock, 1);
    // Without the capabilities the helpers are absent: the first call fails, as its TypeError
    // does on QuickJS. Only the clock, read as every run starts, is left.
    m.capabilities = 0;
    let p = lowered(js, &m).unwrap();
    assert_eq!(helpers(&p), [standard::KTIME_GET_NS.id]);
}

#[test]
fn maps_are_named_by_position_and_module_buffers_live_in_the_globals() {
    let mut m = Manifest::new("ticks", "1.0", Hook::Timer);
    m.capabilities = CAP_MAP_READ | CAP_MAP_WRITE;
    m.maps = vec![map("ticks", MapKind::Array, 4)];
    let p = lowered(include_str!("../../examples/mbpf/timer_count.js"), &m).unwrap();
    // TIMER's default is 0 too.
    well_formed(&p, 0);
    // The maps, by position: the manifest's, the written flags of its arrays, the emit ring,
    // the globals.
    let names: Vec<String> = {
        let maps = oxbpf_quickjs::maps::create(&m.maps).unwrap();
        oxbpf_lower::lowered_maps(&maps, &m)
            .unwrap()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    };
    assert_eq!(names, ["ticks", ".written.ticks", ".emit", GLOBALS]);
    let mut fds: Vec<u64> = Vec::new();
    let mut values: Vec<(u64, u64)> = Vec::new();
    for i in &p {
        match *i {
            Insn::LoadImm64 {
                kind: Imm64Kind::MapFd,
                imm,
                ..
            } => fds.push(imm),
            Insn::LoadImm64 {
                kind: Imm64Kind::MapValue,
                imm,
                ..
            } => {
                values.push((imm & 0xffff_ffff, imm >> 32));
            }
            _ => {}
        }
    }
    fds.sort_unstable();
    fds.dedup();
    // The map and its written flags; its buffer at the globals' first byte.
    assert_eq!(fds, [0, 1]);
    assert!(
        !values.is_empty() && values.iter().all(|&v| v == (3, 0)),
        "{values:?}"
    );
}

#[test]
fn integers_beyond_32_bits_take_an_lddw_and_small_ones_a_mov() {
    let m = Manifest::new("big", "1.0", Hook::NetRx);
    let p = lowered(
        "function mbpf_prog(ctx) { const a = 5000000000; const b = -3; \
         return ctx.data_len + b < a ? 1 : 2; }",
        &m,
    )
    .unwrap();
    well_formed(&p, 0);
    let text = listing(&p);
    assert!(
        text.iter()
            .any(|l| l.starts_with("lddw") && l.ends_with(", 0x12a05f200")),
        "{text:#?}"
    );
    assert!(text.iter().any(|l| l.ends_with(", -3")), "{text:#?}");
}

#[test]
fn refusals_name_the_function_the_instruction_and_the_reason() {
    let m = Manifest::new("t", "1.0", Hook::Tracepoint);
    let e = lowered("function mbpf_prog(ctx) { return ctx.cpu / 3; }", &m).unwrap_err();
    assert_eq!(e.function, "mbpf_prog");
    assert!(e.at.as_deref().is_some_and(|a| a.contains("div")), "{e}");
    assert_eq!(e.reason, "opcode outside the lowered subset");
    assert_eq!(e.kind, LowerErrorKind::Unsupported);
    // More locals than a 512-byte frame holds with the lowering's own slots.
    let locals: Vec<String> = (0..60)
        .map(|i| format!("let v{i} = ctx.cpu + {i};"))
        .collect();
    let sum: Vec<String> = (0..60).map(|i| format!("v{i}")).collect();
    let js = format!(
        "function mbpf_prog(ctx) {{ {} return {}; }}",
        locals.join(" "),
        sum.join(" ^ ")
    );
    let e = lowered(&js, &m).unwrap_err();
    assert!(
        e.reason.contains("-byte frame") && e.reason.contains("eBPF has 512"),
        "{e}"
    );
    assert_eq!(e.at, None);
    assert_eq!(e.kind, LowerErrorKind::Limit);
    // An entry function that is not there.
    let mut other = m.clone();
    other.entry = "main".into();
    let e = lower(
        &compile("function mbpf_prog(ctx) { return 0; }", "main").unwrap(),
        &other,
    )
    .unwrap_err();
    assert_eq!(e.reason, "no top-level function of that name");
    assert_eq!(e.kind, LowerErrorKind::Unsupported);
    // Bytes that are not bytecode.
    let e = lower(b"not bytecode", &m).unwrap_err();
    assert_eq!(e.kind, LowerErrorKind::Bytecode, "{e}");
}
