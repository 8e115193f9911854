//! The packet helpers over context buffers laid out as the facade's `PacketContext` lays them
//! out (the UAPI structure, the full-width packet pointers, headroom, the packet, tailroom):
//! pointers moved within their bounds and refused beyond them, bytes copied in and out, and
//! checksums updated incrementally to what recomputing them gives.

use oxbpf_core::Arg::{Any, MemOrNull, Size};
use oxbpf_core::program_type::{ContextLayout, FieldKind, PacketPointers};
use oxbpf_core::{
    Backend, Config, HelperContext, HelperRegistry, HelperResult, MemoryMap, Program, ProgramType,
    RegionKind,
};
use oxbpf_helpers::standard::register_packet;
use std::sync::Arc;

const EINVAL: u64 = -22i64 as u64;
const EFAULT: u64 = -14i64 as u64;
const EACCES: u64 = -13i64 as u64;

const XDP_ADJUST_HEAD: u32 = 44;
const XDP_ADJUST_META: u32 = 54;
const XDP_ADJUST_TAIL: u32 = 65;
const SKB_LOAD_BYTES: u32 = 26;
const SKB_STORE_BYTES: u32 = 9;
const L3_CSUM_REPLACE: u32 = 10;
const L4_CSUM_REPLACE: u32 = 11;
const CSUM_DIFF: u32 = 28;

const BPF_F_INVALIDATE_HASH: u64 = 2;
const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
const BPF_F_MARK_ENFORCE: u64 = 1 << 6;

/// A negative number as a helper argument.
fn n(v: i64) -> u64 {
    v as u64
}

/// A context buffer as `PacketContext` builds it.
struct Ctx {
    t: ProgramType,
    layout: ContextLayout,
    p: PacketPointers,
    buf: Vec<u8>,
}

impl Ctx {
    /// `packet` after `headroom` bytes past the header, `tailroom` after it (filled with
    /// `0xaa`, so zeroing shows).
    fn new(t: ProgramType, packet: &[u8], headroom: usize, tailroom: usize) -> Ctx {
        let layout = t.context().unwrap();
        let p = layout.packet.unwrap();
        let start = p.header as usize + headroom;
        let mut buf = vec![0u8; start + packet.len() + tailroom];
        buf[start..start + packet.len()].copy_from_slice(packet);
        buf[start + packet.len()..].fill(0xaa);
        let mut c = Ctx { t, layout, p, buf };
        c.set_ptr(p.data, start);
        c.set_ptr(p.data_end, start + packet.len());
        c.set_ptr(p.data_meta, start);
        for (kind, at) in [
            (FieldKind::PacketData, p.data),
            (FieldKind::PacketEnd, p.data_end),
            (FieldKind::PacketMeta, p.data_meta),
        ] {
            if let Some(f) = layout.field_of(kind) {
                let v = c.word(at).to_le_bytes();
                let o = f.offset as usize;
                c.buf[o..o + f.size as usize].copy_from_slice(&v[..f.size as usize]);
            }
        }
        c
    }

    fn base(&self) -> u64 {
        self.buf.as_ptr() as u64
    }

    fn word(&self, at: u32) -> u64 {
        let at = at as usize;
        u64::from_le_bytes(self.buf[at..at + 8].try_into().unwrap())
    }

    fn set_word(&mut self, at: u32, v: u64) {
        let at = at as usize;
        self.buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn set_ptr(&mut self, at: u32, off: usize) {
        let v = self.base() + off as u64;
        self.set_word(at, v);
    }

    /// The pointer at `at` as an offset into the buffer.
    fn off(&self, at: u32) -> usize {
        (self.word(at) - self.base()) as usize
    }

    fn data(&self) -> usize {
        self.off(self.p.data)
    }

    fn end(&self) -> usize {
        self.off(self.p.data_end)
    }

    fn meta(&self) -> usize {
        self.off(self.p.data_meta)
    }

    fn packet(&self) -> &[u8] {
        &self.buf[self.data()..self.end()]
    }

    fn packet_mut(&mut self) -> &mut [u8] {
        let (d, e) = (self.data(), self.end());
        &mut self.buf[d..e]
    }

    /// The low 32 bits the UAPI field of `kind` holds.
    fn uapi(&self, kind: FieldKind) -> u32 {
        let f = self.layout.field_of(kind).unwrap();
        let o = f.offset as usize;
        u32::from_le_bytes(self.buf[o..o + 4].try_into().unwrap())
    }

    /// Calls helper `id` as registered for this context's type, with `scratch` as further
    /// program memory; `args` gets the context's and the scratch's addresses.
    fn call_with(
        &mut self,
        scratch: &mut [u8],
        id: u32,
        args: impl FnOnce(u64, u64) -> [u64; 5],
    ) -> HelperResult {
        let mut reg = HelperRegistry::new();
        register_packet(&mut reg, self.t);
        let f = reg
            .get(id)
            .unwrap_or_else(|| panic!("helper {id} for {}", self.t))
            .func
            .clone();
        let a = args(self.base(), scratch.as_ptr() as u64);
        let mut mem = MemoryMap::new();
        mem.add_mut(&mut self.buf, RegionKind::Context);
        mem.add_mut(scratch, RegionKind::Host);
        f(&mut HelperContext { memory: &mut mem }, a)
    }

    /// Calls helper `id` with `ctx, args...`.
    fn call(&mut self, id: u32, rest: [u64; 4]) -> u64 {
        self.call_with(&mut [], id, |ctx, _| {
            [ctx, rest[0], rest[1], rest[2], rest[3]]
        })
        .unwrap()
    }
}

/// Bytes `0, 1, 2, ...` of length `len`.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// XDP

#[test]
fn adjust_head_moves_data_and_meta_within_bounds() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 64, 32);
    let start = c.data();
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-20), 0, 0, 0]), 0);
    assert_eq!(
        (c.data(), c.meta(), c.end()),
        (start - 20, start - 20, start + 60)
    );
    assert_eq!(
        c.uapi(FieldKind::PacketData),
        (c.base() + start as u64 - 20) as u32
    );
    assert_eq!(c.uapi(FieldKind::PacketMeta), c.uapi(FieldKind::PacketData));
    assert_eq!(&c.packet()[20..], &pattern(60)[..]);
    // `delta` is an `int`: the low 32 bits of -20 are -20 too.
    assert_eq!(c.call(XDP_ADJUST_HEAD, [0xffff_ffec, 0, 0, 0]), 0);
    assert_eq!(c.data(), start - 40);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [40, 0, 0, 0]), 0);
    // Down to the header's end, no further.
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-65), 0, 0, 0]), EINVAL);
    assert_eq!(c.data(), start);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-64), 0, 0, 0]), 0);
    assert_eq!(c.data(), c.p.header as usize);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [64, 0, 0, 0]), 0);
    // Up to ETH_HLEN bytes before the end, no further.
    assert_eq!(c.call(XDP_ADJUST_HEAD, [47, 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [46, 0, 0, 0]), 0);
    assert_eq!(c.packet(), &pattern(60)[46..]);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [1, 0, 0, 0]), EINVAL);
    assert_eq!(
        c.call(XDP_ADJUST_HEAD, [n(i64::MIN), 0, 0, 0]),
        0,
        "low 32 bits: 0"
    );
}

#[test]
fn adjust_head_carries_the_metadata_along() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 64, 32);
    let start = c.data();
    assert_eq!(c.call(XDP_ADJUST_META, [n(-8), 0, 0, 0]), 0);
    assert_eq!(c.meta(), start - 8);
    c.buf[start - 8..start].copy_from_slice(b"metadata");
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-16), 0, 0, 0]), 0);
    assert_eq!((c.meta(), c.data()), (start - 24, start - 16));
    assert_eq!(&c.buf[start - 24..start - 16], b"metadata");
    // The metadata needs room below the packet too.
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-41), 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-40), 0, 0, 0]), 0);
    assert_eq!(c.meta(), c.p.header as usize);
    assert_eq!(&c.buf[c.meta()..c.data()], b"metadata");
    // Shrinking moves it forward.
    assert_eq!(c.call(XDP_ADJUST_HEAD, [30, 0, 0, 0]), 0);
    assert_eq!(&c.buf[c.meta()..c.data()], b"metadata");
    assert_eq!(c.data() - c.meta(), 8);
}

#[test]
fn adjust_tail_moves_data_end_and_zeroes_what_it_grows_over() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 16, 32);
    let start = c.data();
    assert_eq!(c.call(XDP_ADJUST_TAIL, [10, 0, 0, 0]), 0);
    assert_eq!(c.end(), start + 70);
    assert_eq!(&c.packet()[..60], &pattern(60)[..]);
    assert_eq!(&c.packet()[60..], &[0; 10]);
    assert_eq!(
        c.uapi(FieldKind::PacketEnd),
        (c.base() + start as u64 + 70) as u32
    );
    assert_eq!(
        c.buf[start + 70],
        0xaa,
        "nothing past the new end is touched"
    );
    // Up to the buffer's end, no further.
    assert_eq!(c.call(XDP_ADJUST_TAIL, [23, 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_TAIL, [22, 0, 0, 0]), 0);
    assert_eq!(c.end(), c.buf.len());
    // Down to ETH_HLEN bytes, no further.
    assert_eq!(c.call(XDP_ADJUST_TAIL, [n(-(92 - 14)), 0, 0, 0]), 0);
    assert_eq!(c.packet(), &pattern(14)[..]);
    assert_eq!(c.call(XDP_ADJUST_TAIL, [n(-1), 0, 0, 0]), EINVAL);
    assert_eq!(
        c.call(XDP_ADJUST_TAIL, [n(i64::from(i32::MIN)), 0, 0, 0]),
        EINVAL
    );
    assert_eq!(
        c.call(XDP_ADJUST_TAIL, [u64::from(u32::MAX >> 1), 0, 0, 0]),
        EINVAL
    );
    assert_eq!(c.end(), start + 14);
}

#[test]
fn adjust_meta_follows_linux_checks() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 40, 0);
    let start = c.data();
    assert_eq!(c.call(XDP_ADJUST_META, [n(-4), 0, 0, 0]), 0);
    assert_eq!((c.meta(), c.data()), (start - 4, start));
    assert_eq!(
        c.uapi(FieldKind::PacketMeta),
        (c.base() + start as u64 - 4) as u32
    );
    assert_eq!(c.call(XDP_ADJUST_META, [n(-3), 0, 0, 0]), EACCES, "7 bytes");
    assert_eq!(c.call(XDP_ADJUST_META, [n(-28), 0, 0, 0]), 0, "32 bytes");
    assert_eq!(
        c.call(XDP_ADJUST_META, [n(-4), 0, 0, 0]),
        EACCES,
        "36 bytes"
    );
    assert_eq!(c.meta(), start - 32);
    assert_eq!(c.call(XDP_ADJUST_META, [33, 0, 0, 0]), EINVAL, "past data");
    assert_eq!(c.call(XDP_ADJUST_META, [32, 0, 0, 0]), 0);
    assert_eq!(c.meta(), start);
    // Not below the header's end, whatever the size.
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 8, 0);
    assert_eq!(c.call(XDP_ADJUST_META, [n(-12), 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_META, [n(-8), 0, 0, 0]), 0);
    assert_eq!(c.meta(), c.p.header as usize);
}

#[test]
fn a_program_sees_the_moved_packet() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 64, 32);
    let mut helpers = HelperRegistry::new();
    register_packet(&mut helpers, ProgramType::Xdp);
    let p = c.p;
    // adjust_head(ctx, -14); adjust_tail(ctx, 4); return data_end - data, from the full-width
    // copies.
    let src = format!(
        "mov %r6, %r1\nmov %r2, -14\ncall 44\njne %r0, 0, fail\n\
         mov %r1, %r6\nmov %r2, 4\ncall 65\njne %r0, 0, fail\n\
         ldxdw %r2, [%r6+{}]\nldxdw %r0, [%r6+{}]\nsub %r0, %r2\nexit\n\
         fail:\nmov %r0, 0xffff\nexit",
        p.data, p.data_end
    );
    let prog = Program::from_asm(&src, &Config::default(), &helpers).unwrap();
    let exe = oxbpf_interp::Interpreter
        .prepare(Arc::new(prog), Arc::new(helpers))
        .unwrap();
    assert_eq!(exe.run(&mut c.buf), Ok(78));
    assert_eq!(&c.packet()[14..74], &pattern(60)[..]);
    assert_eq!(&c.packet()[74..], &[0; 4]);
}

// ---------------------------------------------------------------------------------------------
// Bad contexts

#[test]
fn bad_contexts_and_pointers_are_refused_not_followed() {
    let packet = pattern(60);
    let fresh = || Ctx::new(ProgramType::Xdp, &packet, 32, 32);
    // r1 is not the context's first byte.
    let mut c = fresh();
    let got = c.call_with(&mut [], XDP_ADJUST_HEAD, |ctx, _| [ctx + 8, n(-4), 0, 0, 0]);
    assert_eq!(got, Ok(EINVAL));
    // Pointers an unverified program overwrote: out of the buffer, inside the header, out of
    // order, wrapping.
    type Corrupt = fn(&mut Ctx);
    let corruptions: [Corrupt; 6] = [
        |c| c.set_word(c.p.data, 0),
        |c| c.set_word(c.p.data_end, u64::MAX),
        |c| c.set_ptr(c.p.data_end, c.buf.len() + 1),
        |c| c.set_ptr(c.p.data, c.p.header as usize - 1),
        |c| {
            let d = c.data();
            c.set_ptr(c.p.data_end, d - 1)
        },
        |c| c.set_word(c.p.data, c.base().wrapping_sub(1)),
    ];
    for (i, corrupt) in corruptions.iter().enumerate() {
        for (id, delta) in [
            (XDP_ADJUST_HEAD, n(-4)),
            (XDP_ADJUST_TAIL, 4),
            (XDP_ADJUST_META, n(-4)),
        ] {
            let mut c = fresh();
            corrupt(&mut c);
            let before = c.buf.clone();
            assert_eq!(
                c.call(id, [delta, 0, 0, 0]),
                EINVAL,
                "corruption {i}, helper {id}"
            );
            assert_eq!(c.buf, before);
        }
    }
    // data_meta out of place: the helpers that move it refuse, adjust_tail does not need it.
    let mut c = fresh();
    let end = c.end();
    c.set_ptr(c.p.data_meta, end);
    assert_eq!(c.call(XDP_ADJUST_HEAD, [n(-4), 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_META, [n(-4), 0, 0, 0]), EINVAL);
    assert_eq!(c.call(XDP_ADJUST_TAIL, [4, 0, 0, 0]), 0);

    // An `__sk_buff` helper with a bad context zeroes its destination all the same.
    let mut c = Ctx::new(ProgramType::SchedCls, &packet, 16, 16);
    c.set_word(c.p.data_end, 0);
    let mut to = [0xcc; 8];
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, 0, to, 8, 0]);
    assert_eq!(got, Ok(EINVAL));
    assert_eq!(to, [0; 8]);
    let mut to = [0xcc; 8];
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx + 1, 0, to, 8, 0]);
    assert_eq!((got, to), (Ok(EINVAL), [0; 8]));
    // A destination the program may not write stops the run.
    let mut c = Ctx::new(ProgramType::SchedCls, &packet, 16, 16);
    let got = c.call_with(&mut [0; 4], SKB_LOAD_BYTES, |ctx, to| [ctx, 0, to, 8, 0]);
    assert!(got.is_err(), "{got:?}");
    let got = c.call_with(&mut [0; 4], SKB_LOAD_BYTES, |ctx, _| {
        [ctx, 0, 8, u64::MAX, 0]
    });
    assert!(got.is_err(), "{got:?}");
    let got = c.call_with(&mut [0; 4], SKB_STORE_BYTES, |ctx, _| {
        [ctx, 0, 8, 1 << 31, 0]
    });
    assert!(got.is_err(), "{got:?}");
}

// ---------------------------------------------------------------------------------------------
// `__sk_buff` bytes

#[test]
fn skb_load_bytes_copies_or_faults_with_the_destination_zeroed() {
    let mut c = Ctx::new(ProgramType::SchedCls, &pattern(100), 16, 16);
    let mut to = [0xcc; 24];
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, 10, to + 2, 20, 0]);
    assert_eq!(got, Ok(0));
    assert_eq!(&to[2..22], &pattern(100)[10..30]);
    assert_eq!((to[0], to[1], to[22], to[23]), (0xcc, 0xcc, 0xcc, 0xcc));
    // The last bytes, then one too many.
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, 80, to, 20, 0]);
    assert_eq!((got, &to[..20]), (Ok(0), &pattern(100)[80..]));
    for (offset, len) in [(81, 20), (100, 1), (u64::from(u32::MAX), 4), (1 << 31, 4)] {
        let mut to = [0xcc; 24];
        let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, offset, to, len, 0]);
        assert_eq!(got, Ok(EFAULT), "offset {offset}, len {len}");
        assert_eq!(&to[..len as usize], &vec![0; len as usize][..]);
        assert!(to[len as usize..].iter().all(|&b| b == 0xcc));
    }
    // Offsets are `u32`: the high half of r2 is ignored, as Linux's does.
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| {
        [ctx, (7 << 32) | 5, to, 4, 0]
    });
    assert_eq!((got, &to[..4]), (Ok(0), &pattern(100)[5..9]));
    // Nothing at the end of the packet is still in it.
    let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, 100, to, 0, 0]);
    assert_eq!(got, Ok(0));
    // Every packet type with it: the same bytes.
    for t in [
        ProgramType::SocketFilter,
        ProgramType::CgroupSkb,
        ProgramType::SkSkb,
        ProgramType::LwtIn,
        ProgramType::FlowDissector,
    ] {
        let mut c = Ctx::new(t, &pattern(40), 16, 0);
        let mut to = [0; 4];
        let got = c.call_with(&mut to, SKB_LOAD_BYTES, |ctx, to| [ctx, 12, to, 4, 0]);
        assert_eq!((got, to), (Ok(0), [12, 13, 14, 15]), "{t}");
    }
}

#[test]
fn skb_load_bytes_from_a_program_reads_the_ethertype() {
    let mut packet = pattern(60);
    packet[12..14].copy_from_slice(&[0x08, 0x00]);
    let mut c = Ctx::new(ProgramType::SchedCls, &packet, 16, 16);
    let mut helpers = HelperRegistry::new();
    register_packet(&mut helpers, ProgramType::SchedCls);
    let src = "mov %r2, 12\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 2\ncall 26\n\
               jne %r0, 0, fail\nldxh %r0, [%r10-8]\nbe16 %r0\nexit\nfail:\nmov %r0, 1\nexit";
    let prog = Program::from_asm(src, &Config::default(), &helpers).unwrap();
    let exe = oxbpf_interp::Interpreter
        .prepare(Arc::new(prog), Arc::new(helpers))
        .unwrap();
    assert_eq!(exe.run(&mut c.buf), Ok(0x0800));
}

#[test]
fn skb_store_bytes_writes_in_range_and_checks_its_flags() {
    let mut c = Ctx::new(ProgramType::SchedCls, &pattern(64), 16, 16);
    let mut from = *b"abcd";
    let got = c.call_with(&mut from, SKB_STORE_BYTES, |ctx, f| [ctx, 60, f, 4, 0]);
    assert_eq!(got, Ok(0));
    assert_eq!(&c.packet()[56..], b"\x38\x39\x3a\x3babcd");
    let before = c.buf.clone();
    for (offset, len, flags, want) in [
        (61, 4, 0, EFAULT),
        (64, 1, 0, EFAULT),
        (u64::from(u32::MAX), 2, 0, EFAULT),
        (0, 4, 4, EINVAL),
        (0, 4, 1 << 63, EINVAL),
    ] {
        let got = c.call_with(&mut from, SKB_STORE_BYTES, |ctx, f| {
            [ctx, offset, f, len, flags]
        });
        assert_eq!(
            got,
            Ok(want),
            "offset {offset}, len {len}, flags {flags:#x}"
        );
        assert_eq!(c.buf, before, "nothing written");
    }
    // BPF_F_RECOMPUTE_CSUM (no checksum kept) and BPF_F_INVALIDATE_HASH (hash cleared).
    let hash = 68;
    c.buf[hash..hash + 4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let got = c.call_with(&mut from, SKB_STORE_BYTES, |ctx, f| [ctx, 0, f, 4, 1]);
    assert_eq!(got, Ok(0));
    assert_eq!(&c.buf[hash..hash + 4], &0x1234_5678u32.to_le_bytes());
    let got = c.call_with(&mut from, SKB_STORE_BYTES, |ctx, f| {
        [ctx, 4, f, 4, BPF_F_INVALIDATE_HASH | 1]
    });
    assert_eq!(got, Ok(0));
    assert_eq!(&c.buf[hash..hash + 4], &[0; 4]);
    assert_eq!(&c.packet()[..8], b"abcdabcd");
}

#[test]
fn helpers_are_registered_only_where_linux_allows_them() {
    let has = |t: ProgramType, id: u32| {
        let mut r = HelperRegistry::new();
        register_packet(&mut r, t);
        r.get(id).map(|h| (h.name.clone(), h.proto.is_some()))
    };
    assert_eq!(
        has(ProgramType::Xdp, XDP_ADJUST_HEAD),
        Some(("xdp_adjust_head".into(), true))
    );
    assert_eq!(has(ProgramType::Xdp, SKB_LOAD_BYTES), None);
    assert_eq!(has(ProgramType::SchedCls, XDP_ADJUST_HEAD), None);
    assert_eq!(has(ProgramType::SocketFilter, SKB_STORE_BYTES), None);
    assert_eq!(has(ProgramType::CgroupSkb, L4_CSUM_REPLACE), None);
    assert_eq!(has(ProgramType::SkSkb, L3_CSUM_REPLACE), None);
    assert_eq!(
        has(ProgramType::LwtXmit, L4_CSUM_REPLACE),
        Some(("l4_csum_replace".into(), true))
    );
    let mut r = HelperRegistry::new();
    register_packet(&mut r, ProgramType::SchedAct);
    let proto = r.get(CSUM_DIFF).unwrap().proto.unwrap();
    assert_eq!(proto.args, [MemOrNull, Size, MemOrNull, Size, Any]);
    let mut r = HelperRegistry::new();
    register_packet(&mut r, ProgramType::Kprobe);
    assert!(r.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Checksums

/// The Internet checksum of `bytes` (RFC 1071), from scratch: 16-bit big-endian words.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for w in bytes.chunks(2) {
        sum += u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

const ETH: usize = 14;
const IP_CSUM: usize = ETH + 10;

/// An Ethernet + IPv4 + `l4` packet (protocol `proto`), with correct checksums; the L4
/// checksum is at `l4_csum` bytes into the L4 header.
fn ipv4_packet(proto: u8, l4: &[u8], l4_csum: usize) -> Vec<u8> {
    let mut p = vec![0u8; ETH];
    p[12..14].copy_from_slice(&[0x08, 0x00]);
    let total = 20 + l4.len();
    let ip = [
        0x45,
        0x00,
        (total >> 8) as u8,
        total as u8,
        0x1c,
        0x46,
        0x40,
        0x00,
        0x40,
        proto,
        0,
        0,
        192,
        168,
        1,
        10,
        10,
        0,
        0,
        77,
    ];
    p.extend_from_slice(&ip);
    p.extend_from_slice(l4);
    fix_checksums(&mut p, l4_csum);
    p
}

/// Recomputes the IPv4 header's and the L4 checksum (at `l4_csum` into the L4 header) of an
/// Ethernet + IPv4 packet from scratch.
fn fix_checksums(p: &mut [u8], l4_csum: usize) {
    p[IP_CSUM..IP_CSUM + 2].fill(0);
    let c = checksum(&p[ETH..ETH + 20]);
    p[IP_CSUM..IP_CSUM + 2].copy_from_slice(&c.to_be_bytes());
    let at = ETH + 20 + l4_csum;
    p[at..at + 2].fill(0);
    let c = l4_checksum(p);
    p[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// The L4 checksum with the IPv4 pseudo-header, from scratch.
fn l4_checksum(p: &[u8]) -> u16 {
    let l4 = &p[ETH + 20..];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&p[ETH + 12..ETH + 20]);
    pseudo.extend_from_slice(&[0, p[ETH + 9]]);
    pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(l4);
    checksum(&pseudo)
}

fn udp_packet() -> Vec<u8> {
    let mut udp = vec![0x30, 0x39, 0x00, 0x35, 0, 0, 0, 0];
    udp.extend_from_slice(b"a DNS query, or so");
    let len = udp.len() as u16;
    udp[4..6].copy_from_slice(&len.to_be_bytes());
    ipv4_packet(17, &udp, 6)
}

fn tcp_packet() -> Vec<u8> {
    let mut tcp = vec![
        0xc3, 0x50, 0x01, 0xbb, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0,
        0, 0,
    ];
    tcp.extend_from_slice(b"GET / HTTP/1.1\r\n");
    ipv4_packet(6, &tcp, 16)
}

/// The bytes at `at..at + N` of `p` as the program loads them (host order).
fn load<const N: usize>(p: &[u8], at: usize) -> [u8; N] {
    p[at..at + N].try_into().unwrap()
}

#[test]
fn ttl_decrement_updates_the_ip_checksum_as_a_recomputation() {
    for original in [udp_packet(), tcp_packet()] {
        let mut c = Ctx::new(ProgramType::SchedCls, &original, 16, 0);
        for _ in 0..70 {
            // The TTL and protocol word.
            let old = load::<2>(c.packet(), ETH + 8);
            let mut new = old;
            new[0] = new[0].wrapping_sub(1);
            c.packet_mut()[ETH + 8] = new[0];
            let (from, to) = (u16::from_ne_bytes(old), u16::from_ne_bytes(new));
            let got = c.call(L3_CSUM_REPLACE, [IP_CSUM as u64, from.into(), to.into(), 2]);
            assert_eq!(got, 0);
            let mut want = c.packet().to_vec();
            fix_checksums(&mut want, if original[ETH + 9] == 17 { 6 } else { 16 });
            assert_eq!(c.packet(), &want[..], "ttl {}", new[0]);
        }
    }
}

#[test]
fn address_rewrite_updates_ip_and_pseudo_header_checksums() {
    for (original, l4_csum) in [(udp_packet(), 6), (tcp_packet(), 16)] {
        let mut c = Ctx::new(ProgramType::SchedCls, &original, 16, 0);
        let l4_csum_off = (ETH + 20 + l4_csum) as u64;
        for (i, addr) in [
            [172u8, 16, 0, 1],
            [255, 255, 255, 255],
            [0, 0, 0, 0],
            [10, 1, 2, 3],
        ]
        .into_iter()
        .enumerate()
        {
            // The source address (`i` even) or the destination.
            let at = ETH + if i % 2 == 0 { 12 } else { 16 };
            let old = u32::from_ne_bytes(load::<4>(c.packet(), at));
            let new = u32::from_ne_bytes(addr);
            c.packet_mut()[at..at + 4].copy_from_slice(&addr);
            assert_eq!(
                c.call(L3_CSUM_REPLACE, [IP_CSUM as u64, old.into(), new.into(), 4]),
                0
            );
            let flags = 4 | BPF_F_PSEUDO_HDR;
            assert_eq!(
                c.call(
                    L4_CSUM_REPLACE,
                    [l4_csum_off, old.into(), new.into(), flags]
                ),
                0
            );
            let mut want = c.packet().to_vec();
            fix_checksums(&mut want, l4_csum);
            assert_eq!(c.packet(), &want[..], "address {addr:?}");
        }
        // A port: part of the L4 header, not of the pseudo-header.
        let old = u16::from_ne_bytes(load::<2>(c.packet(), ETH + 20));
        let new = u16::from_ne_bytes([0x1f, 0x90]);
        c.packet_mut()[ETH + 20..ETH + 22].copy_from_slice(&[0x1f, 0x90]);
        assert_eq!(
            c.call(L4_CSUM_REPLACE, [l4_csum_off, old.into(), new.into(), 2]),
            0
        );
        let mut want = c.packet().to_vec();
        fix_checksums(&mut want, l4_csum);
        assert_eq!(c.packet(), &want[..], "port");
    }
}

#[test]
fn csum_diff_feeds_l4_csum_replace() {
    let mut c = Ctx::new(ProgramType::SchedCls, &tcp_packet(), 16, 0);
    let l4_csum_off = (ETH + 20 + 16) as u64;
    // Rewrite both addresses at once: diff of the 8 old bytes against the 8 new ones.
    let mut scratch = [0u8; 16];
    scratch[..8].copy_from_slice(&c.packet()[ETH + 12..ETH + 20]);
    scratch[8..].copy_from_slice(&[100, 64, 0, 1, 100, 64, 0, 2]);
    let diff = c
        .call_with(&mut scratch, CSUM_DIFF, |_, s| [s, 8, s + 8, 8, 0])
        .unwrap();
    let new: [u8; 8] = scratch[8..].try_into().unwrap();
    c.packet_mut()[ETH + 12..ETH + 20].copy_from_slice(&new);
    assert_eq!(c.call(L3_CSUM_REPLACE, [IP_CSUM as u64, 0, diff, 0]), 0);
    let flags = BPF_F_PSEUDO_HDR;
    assert_eq!(c.call(L4_CSUM_REPLACE, [l4_csum_off, 0, diff, flags]), 0);
    let mut want = c.packet().to_vec();
    fix_checksums(&mut want, 16);
    assert_eq!(c.packet(), &want[..]);
    // A difference with `from` set is refused.
    assert_eq!(
        c.call(L3_CSUM_REPLACE, [IP_CSUM as u64, 1, diff, 0]),
        EINVAL
    );
    assert_eq!(c.call(L4_CSUM_REPLACE, [l4_csum_off, 1, diff, 0]), EINVAL);
}

#[test]
fn checksum_helpers_refuse_bad_flags_and_offsets() {
    let mut c = Ctx::new(ProgramType::SchedCls, &udp_packet(), 16, 0);
    let before = c.buf.clone();
    let end = c.packet().len() as u64;
    for (id, offset, flags, want) in [
        (L3_CSUM_REPLACE, IP_CSUM as u64, 3, EINVAL),
        (L3_CSUM_REPLACE, IP_CSUM as u64, 8, EINVAL),
        (
            L3_CSUM_REPLACE,
            IP_CSUM as u64,
            2 | BPF_F_PSEUDO_HDR,
            EINVAL,
        ),
        (L4_CSUM_REPLACE, IP_CSUM as u64, 2 | (1 << 7), EINVAL),
        (L4_CSUM_REPLACE, IP_CSUM as u64, 1, EINVAL),
        (L3_CSUM_REPLACE, IP_CSUM as u64 + 1, 2, EFAULT),
        (L4_CSUM_REPLACE, end - 1, 2, EFAULT),
        (L4_CSUM_REPLACE, end, 2, EFAULT),
        (L3_CSUM_REPLACE, 0x1_0000, 2, EFAULT),
        (L3_CSUM_REPLACE, u64::from(u32::MAX) - 1, 2, EFAULT),
    ] {
        assert_eq!(
            c.call(id, [offset, 0x1111, 0x2222, flags]),
            want,
            "helper {id} at {offset}, flags {flags:#x}"
        );
        assert_eq!(c.buf, before);
    }
    // The last two bytes are in range.
    assert_eq!(c.call(L4_CSUM_REPLACE, [end - 2, 0, 0, 2]), 0);
}

#[test]
fn mangled_zero_keeps_no_checksum_and_writes_zero_as_ffff() {
    let mut packet = udp_packet();
    let at = ETH + 20 + 6;
    packet[at..at + 2].fill(0);
    let mut c = Ctx::new(ProgramType::SchedCls, &packet, 16, 0);
    let off = at as u64;
    // A UDP packet without a checksum keeps none...
    let got = c.call(L4_CSUM_REPLACE, [off, 1, 2, 2 | BPF_F_MARK_MANGLED_0]);
    assert_eq!((got, load::<2>(c.packet(), at)), (0, [0, 0]));
    // ...unless enforced.
    let flags = 2 | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE;
    assert_eq!(c.call(L4_CSUM_REPLACE, [off, 1, 2, flags]), 0);
    assert_ne!(load::<2>(c.packet(), at), [0, 0]);
    // A result of zero is written as 0xffff with the flag, as zero without it.
    for (flags, want) in [(BPF_F_MARK_MANGLED_0, [0xff, 0xff]), (0, [0, 0])] {
        c.packet_mut()[at..at + 2].copy_from_slice(&0x1234u16.to_ne_bytes());
        assert_eq!(c.call(L4_CSUM_REPLACE, [off, 0, 0x1234, flags]), 0);
        assert_eq!(load::<2>(c.packet(), at), want, "flags {flags:#x}");
    }
}

/// Linux's `csum_diff` on x86-64, written another way: the sum of every 32-bit word in a
/// 64-bit accumulator, folded with end-around carries.
fn csum_diff_reference(from: &[u8], to: &[u8], seed: u32) -> u32 {
    let word = |w: &[u8]| u64::from(u32::from_ne_bytes(w.try_into().unwrap()));
    let mut sum = u64::from(seed);
    sum += from.chunks(4).map(|w| word(w) ^ 0xffff_ffff).sum::<u64>();
    sum += to.chunks(4).map(word).sum::<u64>();
    while sum > 0xffff_ffff {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
    }
    sum as u32
}

/// `csum_fold`.
fn fold(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    !(((s & 0xffff) + (s >> 16)) as u16)
}

#[test]
fn csum_diff_follows_linux() {
    let mut c = Ctx::new(ProgramType::Xdp, &pattern(60), 16, 0);
    let mut diff = |scratch: &mut [u8], from: usize, to: usize, seed: u64| {
        let f = scratch.len() - from - to;
        c.call_with(scratch, CSUM_DIFF, |_, s| {
            [
                s + f as u64,
                from as u64,
                s + (f + from) as u64,
                to as u64,
                seed,
            ]
        })
        .unwrap()
    };
    // Known vectors (little-endian words).
    if cfg!(target_endian = "little") {
        assert_eq!(diff(&mut [1, 2, 3, 4], 0, 4, 0), 0x0403_0201);
        assert_eq!(diff(&mut [1, 2, 3, 4, 1, 2, 3, 5], 4, 4, 0), 0x0100_0000);
        assert_eq!(diff(&mut [0xff; 4], 4, 0, 0), 0);
        assert_eq!(diff(&mut [0xff; 4], 0, 4, 0), 0xffff_ffff);
        assert_eq!(diff(&mut [0xff; 4], 0, 4, 1), 1);
        assert_eq!(diff(&mut [1, 0, 0, 0], 0, 4, 0xffff_ffff), 1);
    }
    assert_eq!(diff(&mut [], 0, 0, 0xdead_beef), 0xdead_beef);
    assert_eq!(diff(&mut [], 0, 0, 0x1_0000_0002), 2, "seed is 32 bits");
    // Against the reference, and as a checksum: the folded difference of old and new data
    // updates a checksum over it.
    let data: Vec<u8> = (0..512u32).map(|i| (i * 37 + 11) as u8).collect();
    for (from, to, seed) in [
        (256, 256, 0),
        (8, 500, 7),
        (0, 512, 0x1234_5678),
        (512, 0, 0),
    ] {
        let (f, t) = data.split_at(512 - to);
        let want = csum_diff_reference(&f[512 - to - from..], t, seed);
        let mut scratch = data[512 - to - from..].to_vec();
        assert_eq!(
            diff(&mut scratch, from, to, u64::from(seed)),
            u64::from(want)
        );
    }
    let old: Vec<u8> = data[..16].to_vec();
    let new: Vec<u8> = data[100..116].to_vec();
    let mut scratch = [old.clone(), new.clone()].concat();
    let d = diff(&mut scratch, 16, 16, 0) as u32;
    let mut whole = old.clone();
    whole.extend_from_slice(&data[200..240]);
    let sum_old = checksum(&whole);
    whole[..16].copy_from_slice(&new);
    let sum_new = checksum(&whole);
    let csum_add = |a: u32, b: u32| {
        let (s, c) = a.overflowing_add(b);
        s + u32::from(c)
    };
    let sum_old_native = u16::from_ne_bytes(sum_old.to_be_bytes());
    let updated = fold(csum_add(d, !u32::from(sum_old_native)));
    assert_eq!(updated.to_ne_bytes(), sum_new.to_be_bytes());
    // Sizes: multiples of 4, at most 512 bytes together.
    for (from, to) in [(3, 0), (0, 6), (260, 256), (516, 0)] {
        let mut scratch = vec![0u8; 520];
        assert_eq!(diff(&mut scratch, from, to, 0), EINVAL, "{from} + {to}");
    }
    // NULL with a size of 0 (which verified programs may not pass here).
    let got = c.call_with(&mut [1, 2, 3, 4], CSUM_DIFF, |_, s| [0, 0, s, 4, 0]);
    assert_eq!(got, Ok(u64::from(u32::from_ne_bytes([1, 2, 3, 4]))));
    // Memory the program may not read stops the run.
    let got = c.call_with(&mut [0; 4], CSUM_DIFF, |_, s| [s, 8, s, 0, 0]);
    assert!(got.is_err());
}
