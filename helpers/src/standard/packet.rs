//! Linux's packet helpers, for the program types whose context holds a packet: XDP's
//! `xdp_adjust_head` (44), `xdp_adjust_meta` (54) and `xdp_adjust_tail` (65), the `__sk_buff`
//! types' `skb_load_bytes` (26) and `skb_store_bytes` (9), the checksum helpers
//! `l3_csum_replace` (10), `l4_csum_replace` (11) and `csum_diff` (28). They are registered per
//! program type with [`register_packet`], as Linux gives them (its catalogue's callers).
//!
//! # The context they work on
//!
//! A packet program's context is one buffer (see
//! [`oxbpf_core::program_type::context`]): the UAPI structure, the packet pointers at full
//! width ([`PacketPointers`]), headroom, the packet, tailroom up to the buffer's end. A helper
//! is handed the context pointer in `r1`: when it is not the first byte of the run's context
//! buffer the helper returns `-EINVAL` (and `skb_load_bytes` zeroes its destination, which the
//! verifier takes as written). The pointers are read from their full-width copies and trusted
//! only once they lie inside the buffer, in order: `header <= data <= data_end <= buffer end`,
//! and, for the XDP helpers that move the metadata, `header <= data_meta <= data`; otherwise the
//! helper returns `-EINVAL` (an unverified program may have overwritten them). Every offset is
//! recomputed from the buffer with checked arithmetic, so no helper reaches outside it. A helper
//! that moves a pointer writes its full-width copy and the low half into the UAPI field, as the
//! host sets them before a run.
//!
//! # Differences from Linux
//!
//! - Room: Linux keeps `sizeof(struct xdp_frame)` at the head of an XDP buffer and the
//!   `skb_shared_info` at its tail; oxbpf keeps none, so `xdp_adjust_head` and `xdp_adjust_meta`
//!   may move down to the end of the header (the first byte after the packet pointers) and
//!   `xdp_adjust_tail` up to the buffer's end.
//! - Metadata: as Linux 6.6 (`xdp_metalen_invalid`), at most 32 bytes, a multiple of 4
//!   (`-EACCES` otherwise); later kernels allow more.
//! - An `__sk_buff` packet is linear: the bytes from `data` to `data_end` are the whole packet,
//!   with no paged part.
//! - Checksums: the packet is taken as `CHECKSUM_NONE` (`ip_summed` neither `CHECKSUM_PARTIAL`
//!   nor `CHECKSUM_COMPLETE`), so `l3_csum_replace` and `l4_csum_replace` update the 16-bit
//!   checksum field in place as Linux's `csum_replace2`, `csum_replace4` and
//!   `csum_replace_by_diff` do (RFC 1624's incremental update), and `BPF_F_PSEUDO_HDR` changes
//!   nothing (in Linux it matters only for a `CHECKSUM_PARTIAL` packet, whose field holds the
//!   pseudo-header's sum, and for a `CHECKSUM_COMPLETE` packet's `skb->csum`, which oxbpf does
//!   not keep). For the same reason `skb_store_bytes`'s `BPF_F_RECOMPUTE_CSUM` has no effect;
//!   its `BPF_F_INVALIDATE_HASH` zeroes `__sk_buff.hash`. The flags are Linux 6.6's:
//!   `l4_csum_replace`'s later `BPF_F_IPV6` is `-EINVAL`.
//! - `csum_diff` returns the 32-bit ones' complement sum of `seed`, the complemented words of
//!   `from` and the words of `to`: the value x86-64's Linux 6.6 returns. Other architectures
//!   (the generic `csum_partial`) and later kernels (which fold it to 16 bits) return another
//!   value of the same checksum: `csum_fold` of each is the same. Either buffer may be NULL
//!   with a size of 0 (`Arg::MemOrNull`, as Linux types them).

use super::maps::write;
use super::{EACCES, EFAULT, EINVAL, arg_error, neg};
use oxbpf_core::program_type::{Access as CtxAccess, ContextLayout, FieldKind, PacketPointers};
use oxbpf_core::{
    Access, Fault, HelperContext, HelperRegistry, HelperResult, HelperStop, ProgramType, catalogue,
};
use std::ops::Range;
use std::sync::Arc;

/// `ETH_HLEN`: the least packet `xdp_adjust_head` and `xdp_adjust_tail` leave.
const ETH_HLEN: usize = 14;
/// The most metadata `xdp_adjust_meta` allows (Linux 6.6).
const META_MAX: usize = 32;
/// The most bytes `csum_diff` sums, both buffers together (Linux's scratch pad).
const CSUM_DIFF_MAX: u64 = 512;
/// `INT_MAX`: Linux's `skb_*_bytes` take no larger offset.
const INT_MAX: u32 = i32::MAX as u32;

/// `BPF_F_RECOMPUTE_CSUM` of `skb_store_bytes`.
const BPF_F_RECOMPUTE_CSUM: u64 = 1;
/// `BPF_F_INVALIDATE_HASH` of `skb_store_bytes`.
const BPF_F_INVALIDATE_HASH: u64 = 1 << 1;
/// `BPF_F_HDR_FIELD_MASK`: the size of the field the checksum helpers replace (0, 2 or 4).
const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
/// `BPF_F_PSEUDO_HDR` of `l4_csum_replace`.
const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
/// `BPF_F_MARK_MANGLED_0` of `l4_csum_replace`: a zero checksum (none, for UDP) stays zero, and
/// a result of zero is written as [`CSUM_MANGLED_0`].
const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
/// `BPF_F_MARK_ENFORCE` of `l4_csum_replace`: update a zero checksum too.
const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
/// `CSUM_MANGLED_0`: zero, in the ones' complement's other form.
const CSUM_MANGLED_0: u16 = 0xffff;

/// What a packet helper's body sees of its program type: the context layout and where its
/// packet pointers are.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    pub(super) layout: ContextLayout,
    pub(super) pointers: PacketPointers,
}

type Body = fn(&Shape, &mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult;

/// One packet helper: its Linux id and name (its prototype is the catalogue's:
/// [`LinuxHelper::proto`](catalogue::LinuxHelper::proto)), whether it writes the packet, and its
/// body.
struct Row {
    id: u32,
    name: &'static str,
    writes: bool,
    body: Body,
}

/// The packet helpers; [`register_packet`] registers each where Linux's catalogue allows it.
const ROWS: &[Row] = &[
    Row {
        id: 9,
        name: "skb_store_bytes",
        writes: true,
        body: skb_store_bytes,
    },
    Row {
        id: 10,
        name: "l3_csum_replace",
        writes: true,
        body: l3_csum_replace,
    },
    Row {
        id: 11,
        name: "l4_csum_replace",
        writes: true,
        body: l4_csum_replace,
    },
    Row {
        id: 26,
        name: "skb_load_bytes",
        writes: false,
        body: skb_load_bytes,
    },
    Row {
        id: 28,
        name: "csum_diff",
        writes: false,
        body: csum_diff,
    },
    Row {
        id: 44,
        name: "xdp_adjust_head",
        writes: true,
        body: xdp_adjust_head,
    },
    Row {
        id: 54,
        name: "xdp_adjust_meta",
        writes: true,
        body: xdp_adjust_meta,
    },
    Row {
        id: 65,
        name: "xdp_adjust_tail",
        writes: true,
        body: xdp_adjust_tail,
    },
    Row {
        id: 95,
        name: "sk_fullsock",
        writes: false,
        body: super::socket::sk_fullsock,
    },
    Row {
        id: 96,
        name: "tcp_sock",
        writes: false,
        body: super::socket::tcp_sock,
    },
    Row {
        id: 98,
        name: "get_listener_sock",
        writes: false,
        body: super::socket::get_listener_sock,
    },
];

/// Registers in `registry` the packet helpers Linux gives programs of type `t` (the callers in
/// [`catalogue`]), over the context layout of `t`:
///
/// - XDP: `xdp_adjust_head` (44), `xdp_adjust_meta` (54), `xdp_adjust_tail` (65),
///   `csum_diff` (28);
/// - traffic control (`sched_cls`, `sched_act`): `skb_load_bytes` (26), `skb_store_bytes` (9),
///   `l3_csum_replace` (10), `l4_csum_replace` (11), `csum_diff`;
/// - `lwt_xmit`: the same;
/// - `sk_skb`: `skb_load_bytes`, `skb_store_bytes`;
/// - `lwt_in`, `lwt_out`, `lwt_seg6local`: `skb_load_bytes`, `csum_diff`;
/// - `socket_filter`, `cgroup_skb`, `flow_dissector`: `skb_load_bytes`;
/// - where the context carries a socket: `sk_fullsock` (95) and `get_listener_sock` (98) for
///   traffic control and `cgroup_skb`, `tcp_sock` (96) for those and `sock_ops` and the sockopt
///   hooks (see `socket.rs`).
///
/// Each is registered under Linux's id and name (without `bpf_`), so the verifier knows it for
/// Linux's: it refuses calls from other program types and forgets packet pointers after the
/// helpers that move the packet. Prototypes are the catalogue's, except `csum_diff`'s (see the
/// module documentation). A type without a packet in its context gets none. Helpers the host
/// registered under the same ids or names are replaced. The limits of the model are in the
/// module documentation.
pub fn register_packet(registry: &mut HelperRegistry, t: ProgramType) {
    let Some(layout) = t.context() else {
        return;
    };
    let Some(pointers) = layout.packet else {
        return;
    };
    let shape = Shape { layout, pointers };
    for row in ROWS {
        let Some(linux) = catalogue::helper(row.id) else {
            continue;
        };
        let needs_socket = matches!(row.id, 95 | 96 | 98);
        if !linux.callable_from(t)
            || (row.writes && !layout.packet_writable)
            || (needs_socket && pointers.socket_field.is_none())
        {
            continue;
        }
        let proto = linux.proto();
        let body = row.body;
        registry.register_with_proto(
            row.id,
            row.name,
            proto,
            Arc::new(move |hc, args| body(&shape, hc, args)),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The context buffer.

/// Where the packet pointers say the packet is, as offsets into the context buffer.
#[derive(Clone, Copy, Debug)]
struct Packet {
    /// `data_meta`, if it lies between the header's end and `data`.
    meta: Option<usize>,
    /// `data`.
    data: usize,
    /// `data_end`.
    end: usize,
}

impl Packet {
    /// The bytes `offset..offset + len` of the packet (from `data`), if `offset` is at most
    /// `INT_MAX` and they all lie in it.
    fn range(&self, offset: u32, len: u32) -> Option<Range<usize>> {
        if offset > INT_MAX {
            return None;
        }
        let start = self.data.checked_add(usize::try_from(offset).ok()?)?;
        let stop = start.checked_add(usize::try_from(len).ok()?)?;
        (stop <= self.end).then_some(start..stop)
    }
}

/// The run's context buffer and its packet, if `ctx` (the helper's `r1`) is the buffer's first
/// byte and the pointers lie in it in order; `Err` holds `-EINVAL` otherwise.
fn packet<'h>(
    hc: &'h mut HelperContext<'_, '_>,
    s: &Shape,
    ctx: u64,
) -> Result<(&'h mut [u8], Packet), u64> {
    let invalid = neg(EINVAL);
    let buf = hc.memory.context_mut().ok_or(invalid)?;
    if buf.as_ptr() as u64 != ctx {
        return Err(invalid);
    }
    let header = usize::try_from(s.pointers.header).map_err(|_| invalid)?;
    let data = offset_in(buf, s.pointers.data).ok_or(invalid)?;
    let end = offset_in(buf, s.pointers.data_end).ok_or(invalid)?;
    if header > data || data > end {
        return Err(invalid);
    }
    let meta = offset_in(buf, s.pointers.data_meta).filter(|&m| header <= m && m <= data);
    Ok((buf, Packet { meta, data, end }))
}

/// The full-width pointer at byte `at` of `buf`, as an offset into `buf`, if it points into it
/// (or one past its end).
fn offset_in(buf: &[u8], at: u32) -> Option<usize> {
    let at = usize::try_from(at).ok()?;
    let word = buf.get(at..at.checked_add(8)?)?;
    let addr = u64::from_le_bytes(word.try_into().ok()?);
    let off = usize::try_from(addr.checked_sub(buf.as_ptr() as u64)?).ok()?;
    (off <= buf.len()).then_some(off)
}

/// Points the pointer of `kind` at offset `off` of `buf`: its full-width copy at byte `at`, and
/// the low half in the UAPI field, as the host sets them.
fn set_pointer(buf: &mut [u8], s: &Shape, kind: FieldKind, off: usize) {
    let at = match kind {
        FieldKind::PacketData => s.pointers.data,
        FieldKind::PacketEnd => s.pointers.data_end,
        FieldKind::PacketMeta => s.pointers.data_meta,
        _ => return,
    };
    // `off` is at most the buffer's length, so the address is one inside (or just past) it.
    let addr = (buf.as_ptr() as u64).wrapping_add(off as u64);
    put(buf, at, &addr.to_le_bytes());
    if let Some(f) = s.layout.field_of(kind) {
        let size = usize::try_from(f.size).unwrap_or(0).min(8);
        put(buf, f.offset, &addr.to_le_bytes()[..size]);
    }
}

/// Copies `bytes` to byte `at` of `buf`, if they fit.
fn put(buf: &mut [u8], at: u32, bytes: &[u8]) {
    let Ok(at) = usize::try_from(at) else {
        return;
    };
    if let Some(dst) = at
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        dst.copy_from_slice(bytes);
    }
}

/// `r2` as Linux's `int` offsets and deltas take it.
fn delta(arg: u64) -> isize {
    arg as u32 as i32 as isize
}

// ---------------------------------------------------------------------------------------------
// Program memory.

/// A helper error for the `len` bytes at `addr`, which the program may not access.
fn bad_pointer(what: &str, addr: u64, len: u32, access: Access) -> HelperStop {
    let len = u64::from(len);
    arg_error(what, Fault::OutOfBounds { addr, len, access })
}

/// The `len` bytes of program memory at `addr`, or a helper error naming `what` (checked before
/// anything is allocated).
fn read_mem(
    hc: &HelperContext<'_, '_>,
    what: &str,
    addr: u64,
    len: u32,
) -> Result<Vec<u8>, HelperStop> {
    // Nothing to read: NULL may stand for no bytes, as Linux's `ARG_PTR_TO_MEM | PTR_MAYBE_NULL`.
    if len == 0 {
        return Ok(Vec::new());
    }
    if !hc.memory.contains(addr, u64::from(len), Access::Read) {
        return Err(bad_pointer(what, addr, len, Access::Read));
    }
    let mut out = vec![0; usize::try_from(len).unwrap_or(0)];
    hc.memory
        .read(addr, &mut out)
        .map_err(|f| arg_error(what, f))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// XDP.

/// `xdp_adjust_head(ctx, delta)`: moves `data` by `delta` (an `int`), down to the header's end
/// plus the metadata, up to `ETH_HLEN` bytes before `data_end`; the metadata moves with it.
/// 0, or `-EINVAL`.
fn xdp_adjust_head(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (buf, p) = match packet(hc, s, a[0]) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    let Some(meta) = p.meta else {
        return Ok(neg(EINVAL));
    };
    let metalen = p.data - meta;
    let lowest = (s.pointers.header as usize).checked_add(metalen);
    let highest = p.end.checked_sub(ETH_HLEN);
    let Some(data) = p.data.checked_add_signed(delta(a[1])) else {
        return Ok(neg(EINVAL));
    };
    let (Some(lowest), Some(highest)) = (lowest, highest) else {
        return Ok(neg(EINVAL));
    };
    if data < lowest || data > highest {
        return Ok(neg(EINVAL));
    }
    // `lowest <= data <= highest < data_end <= buf.len()`: the metadata's new place is inside.
    let new_meta = data - metalen;
    buf.copy_within(meta..p.data, new_meta);
    set_pointer(buf, s, FieldKind::PacketMeta, new_meta);
    set_pointer(buf, s, FieldKind::PacketData, data);
    Ok(0)
}

/// `xdp_adjust_tail(ctx, delta)`: moves `data_end` by `delta` (an `int`), down to `ETH_HLEN`
/// bytes after `data`, up to the buffer's end; the bytes it grows over are zeroed. 0, or
/// `-EINVAL`.
fn xdp_adjust_tail(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (buf, p) = match packet(hc, s, a[0]) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    let Some(end) = p.end.checked_add_signed(delta(a[1])) else {
        return Ok(neg(EINVAL));
    };
    let Some(lowest) = p.data.checked_add(ETH_HLEN) else {
        return Ok(neg(EINVAL));
    };
    if end > buf.len() || end < lowest {
        return Ok(neg(EINVAL));
    }
    if let Some(grown) = buf.get_mut(p.end..end) {
        grown.fill(0);
    }
    set_pointer(buf, s, FieldKind::PacketEnd, end);
    Ok(0)
}

/// `xdp_adjust_meta(ctx, delta)`: moves `data_meta` by `delta` (an `int`), down to the header's
/// end, up to `data`. 0, `-EINVAL` out of those bounds, `-EACCES` for metadata that is not a
/// multiple of 4 bytes or more than 32.
fn xdp_adjust_meta(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (buf, p) = match packet(hc, s, a[0]) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    let Some(meta) = p.meta.and_then(|m| m.checked_add_signed(delta(a[1]))) else {
        return Ok(neg(EINVAL));
    };
    if meta < s.pointers.header as usize || meta > p.data {
        return Ok(neg(EINVAL));
    }
    let metalen = p.data - meta;
    if !metalen.is_multiple_of(4) || metalen > META_MAX {
        return Ok(neg(EACCES));
    }
    set_pointer(buf, s, FieldKind::PacketMeta, meta);
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// `__sk_buff` bytes.

/// `skb_load_bytes(ctx, offset, to, len)`: copies the packet's bytes `offset..offset + len` to
/// `to`. 0; `-EFAULT` when they are not all in the packet (or `offset` exceeds `INT_MAX`),
/// `-EINVAL` for a bad context, with `to` zeroed in both cases.
fn skb_load_bytes(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (offset, to, len) = (a[1] as u32, a[2], a[3] as u32);
    if !hc.memory.contains(to, u64::from(len), Access::Write) {
        return Err(bad_pointer("to", to, len, Access::Write));
    }
    let copied = match packet(hc, s, a[0]) {
        Ok((buf, p)) => p
            .range(offset, len)
            .and_then(|r| buf.get(r))
            .map(<[u8]>::to_vec)
            .ok_or(neg(EFAULT)),
        Err(ret) => Err(ret),
    };
    match copied {
        Ok(bytes) => {
            write(hc, "to", to, &bytes)?;
            Ok(0)
        }
        Err(ret) => {
            // The write was checked above, so this allocates no more than the region holds.
            write(hc, "to", to, &vec![0; usize::try_from(len).unwrap_or(0)])?;
            Ok(ret)
        }
    }
}

/// `skb_store_bytes(ctx, offset, from, len, flags)`: copies the `len` bytes at `from` to the
/// packet's bytes `offset..offset + len`. 0; `-EINVAL` for flags other than
/// `BPF_F_RECOMPUTE_CSUM` (no effect here) and `BPF_F_INVALIDATE_HASH` (zeroes
/// `__sk_buff.hash`); `-EFAULT` when the bytes are not all in the packet.
fn skb_store_bytes(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (offset, from, len, flags) = (a[1] as u32, a[2], a[3] as u32, a[4]);
    let bytes = read_mem(hc, "from", from, len)?;
    let (buf, p) = match packet(hc, s, a[0]) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    if flags & !(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH) != 0 {
        return Ok(neg(EINVAL));
    }
    let Some(dst) = p.range(offset, len).and_then(|r| buf.get_mut(r)) else {
        return Ok(neg(EFAULT));
    };
    dst.copy_from_slice(&bytes);
    if flags & BPF_F_INVALIDATE_HASH != 0 {
        clear_hash(buf, &s.layout);
    }
    Ok(0)
}

/// Zeroes `__sk_buff.hash` (Linux's `skb_clear_hash`), if the structure has it.
fn clear_hash(buf: &mut [u8], layout: &ContextLayout) {
    let CtxAccess::Fields(fields) = layout.access else {
        return;
    };
    if let Some(f) = fields.iter().find(|f| f.name == "hash") {
        let size = usize::try_from(f.span()).unwrap_or(0);
        put(buf, f.offset, &vec![0; size]);
    }
}

// ---------------------------------------------------------------------------------------------
// Checksums.

/// The 16-bit checksum field at packet offset `offset`: its offset in the buffer, or `-EFAULT`
/// when `offset` is odd, above `0xffff` or the field is not wholly in the packet (`-EINVAL`
/// for a bad context).
fn csum_field<'h>(
    hc: &'h mut HelperContext<'_, '_>,
    s: &Shape,
    ctx: u64,
    offset: u32,
) -> Result<(&'h mut [u8], usize), u64> {
    let (buf, p) = packet(hc, s, ctx)?;
    if offset > 0xffff || offset & 1 != 0 {
        return Err(neg(EFAULT));
    }
    let r = p.range(offset, 2).ok_or(neg(EFAULT))?;
    Ok((buf, r.start))
}

/// The 16-bit word at `at` (in the buffer, checked by [`csum_field`]), as the host reads it.
fn get16(buf: &[u8], at: usize) -> u16 {
    let mut b = [0; 2];
    if let Some(w) = buf.get(at..at.saturating_add(2)) {
        b.copy_from_slice(w);
    }
    u16::from_ne_bytes(b)
}

/// Writes the 16-bit word at `at`.
fn set16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(w) = buf.get_mut(at..at.saturating_add(2)) {
        w.copy_from_slice(&v.to_ne_bytes());
    }
}

/// `l3_csum_replace(ctx, offset, from, to, flags)`: updates the checksum at packet offset
/// `offset` for a field changed from `from` to `to`, of the size in the low 4 bits of `flags`
/// (2 or 4; 0: `to` is a checksum difference, as `csum_diff` returns, and `from` must be 0).
/// 0; `-EINVAL` for other flags or sizes; `-EFAULT` when the field is odd, above `0xffff` or
/// out of the packet.
fn l3_csum_replace(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (offset, from, to, flags) = (a[1] as u32, a[2], a[3], a[4]);
    if flags & !BPF_F_HDR_FIELD_MASK != 0 {
        return Ok(neg(EINVAL));
    }
    let (buf, at) = match csum_field(hc, s, a[0], offset) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    let sum = get16(buf, at);
    let new = match flags & BPF_F_HDR_FIELD_MASK {
        0 if from == 0 => csum::replace_by_diff(sum, to as u32),
        2 => csum::replace2(sum, from as u16, to as u16),
        4 => csum::replace4(sum, from as u32, to as u32),
        _ => return Ok(neg(EINVAL)),
    };
    set16(buf, at, new);
    Ok(0)
}

/// `l4_csum_replace(ctx, offset, from, to, flags)`: as [`l3_csum_replace`], for a TCP or UDP
/// checksum: flags may add `BPF_F_PSEUDO_HDR` (the field is in the pseudo-header: no effect
/// for a `CHECKSUM_NONE` packet), `BPF_F_MARK_MANGLED_0` (a zero checksum is left alone, a
/// result of zero is written as `0xffff`) and `BPF_F_MARK_ENFORCE` (a zero checksum is updated
/// all the same).
fn l4_csum_replace(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (offset, from, to, flags) = (a[1] as u32, a[2], a[3], a[4]);
    let known = BPF_F_HDR_FIELD_MASK | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE;
    if flags & !known != 0 {
        return Ok(neg(EINVAL));
    }
    let mangled_0 = flags & BPF_F_MARK_MANGLED_0 != 0;
    let enforce = flags & BPF_F_MARK_ENFORCE != 0;
    let (buf, at) = match csum_field(hc, s, a[0], offset) {
        Ok(x) => x,
        Err(ret) => return Ok(ret),
    };
    let sum = get16(buf, at);
    if mangled_0 && !enforce && sum == 0 {
        return Ok(0);
    }
    // Linux's `inet_proto_csum_replace*` for a packet that is not `CHECKSUM_PARTIAL`.
    let new = match flags & BPF_F_HDR_FIELD_MASK {
        0 if from == 0 => csum::replace_by_diff(sum, to as u32),
        2 => csum::replace4(sum, u32::from(from as u16), u32::from(to as u16)),
        4 => csum::replace4(sum, from as u32, to as u32),
        _ => return Ok(neg(EINVAL)),
    };
    let new = if mangled_0 && new == 0 {
        CSUM_MANGLED_0
    } else {
        new
    };
    set16(buf, at, new);
    Ok(0)
}

/// `csum_diff(from, from_size, to, to_size, seed)`: the 32-bit ones' complement sum of `seed`,
/// the complemented 4-byte words at `from` and the words at `to` (a checksum difference, to
/// push, pull or replace data). `-EINVAL` when a size is not a multiple of 4 or both exceed
/// 512 bytes together.
fn csum_diff(_: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let (from_size, to_size, seed) = (a[1] as u32, a[3] as u32, a[4] as u32);
    if (from_size | to_size) & 3 != 0 || u64::from(from_size) + u64::from(to_size) > CSUM_DIFF_MAX {
        return Ok(neg(EINVAL));
    }
    let from = read_mem(hc, "from", a[0], from_size)?;
    let to = read_mem(hc, "to", a[2], to_size)?;
    let word = |w: &[u8]| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]);
    let sum = from
        .chunks_exact(4)
        .map(|w| !word(w))
        .chain(to.chunks_exact(4).map(word))
        .fold(seed, csum::add);
    Ok(u64::from(sum))
}

/// The Internet checksum's arithmetic as Linux's `include/net/checksum.h` has it: 32-bit
/// partial sums (`__wsum`) with end-around carry, folded and complemented into 16 bits
/// (`__sum16`). Every value is in the host's byte order, as the program loads it from the
/// packet: ones' complement sums do not depend on the byte order.
mod csum {
    /// `csum_add`: `a + b` with end-around carry.
    pub(super) fn add(a: u32, b: u32) -> u32 {
        let (sum, carry) = a.overflowing_add(b);
        sum.wrapping_add(u32::from(carry))
    }

    /// `csum_sub`.
    fn sub(a: u32, b: u32) -> u32 {
        add(a, !b)
    }

    /// `csum16_add`.
    fn add16(a: u16, b: u16) -> u16 {
        let (sum, carry) = a.overflowing_add(b);
        sum.wrapping_add(u16::from(carry))
    }

    /// `csum16_sub`.
    fn sub16(a: u16, b: u16) -> u16 {
        add16(a, !b)
    }

    /// `csum_fold`: folds a partial sum into 16 bits and complements it.
    pub(super) fn fold(sum: u32) -> u16 {
        let sum = (sum & 0xffff) + (sum >> 16);
        let sum = (sum & 0xffff) + (sum >> 16);
        !(sum as u16)
    }

    /// `csum_replace2`: checksum `sum` after a 16-bit field changed from `old` to `new`.
    pub(super) fn replace2(sum: u16, old: u16, new: u16) -> u16 {
        !add16(sub16(!sum, old), new)
    }

    /// `csum_replace4`: the same for a 32-bit field.
    pub(super) fn replace4(sum: u16, old: u32, new: u32) -> u16 {
        fold(add(sub(!u32::from(sum), old), new))
    }

    /// `csum_replace_by_diff`: checksum `sum` with the partial sum `diff` added.
    pub(super) fn replace_by_diff(sum: u16, diff: u32) -> u16 {
        fold(add(diff, !u32::from(sum)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_linux_helpers_with_the_expected_prototypes() {
        for row in ROWS {
            let linux = catalogue::helper(row.id).unwrap();
            assert_eq!(linux.name, row.name);
            assert_eq!(linux.changes_packet, row.writes, "{}", row.name);
            // The verifier models every argument of every packet helper.
            assert!(linux.proto().is_some(), "{}", row.name);
        }
    }

    #[test]
    fn rfc_1624_example_gives_zero_not_minus_zero() {
        // RFC 1624, section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000.
        assert_eq!(csum::replace2(0xDD2F, 0x5555, 0x3285), 0x0000);
        assert_eq!(csum::replace4(0xDD2F, 0x5555, 0x3285), 0x0000);
        // The sum of a difference of nothing changes nothing.
        assert_eq!(csum::replace_by_diff(0x1234, 0), 0x1234);
        assert_eq!(csum::add(0xffff_ffff, 1), 1);
        assert_eq!(csum::fold(0x0001_fffe), 0);
    }

    #[test]
    fn every_packet_type_gets_what_linux_gives_it() {
        let ids = |t: ProgramType| {
            let mut r = HelperRegistry::new();
            register_packet(&mut r, t);
            r.iter().map(|h| h.id).collect::<Vec<_>>()
        };
        assert_eq!(ids(ProgramType::Xdp), [28, 44, 54, 65]);
        assert_eq!(ids(ProgramType::SchedCls), [9, 10, 11, 26, 28, 95, 96, 98]);
        assert_eq!(ids(ProgramType::SchedAct), [9, 10, 11, 26, 28, 95, 96, 98]);
        assert_eq!(ids(ProgramType::LwtXmit), [9, 10, 11, 26, 28]);
        assert_eq!(ids(ProgramType::SkSkb), [9, 26]);
        assert_eq!(ids(ProgramType::LwtIn), [26, 28]);
        assert_eq!(ids(ProgramType::LwtOut), [26, 28]);
        assert_eq!(ids(ProgramType::LwtSeg6local), [26, 28]);
        assert_eq!(ids(ProgramType::SocketFilter), [26]);
        assert_eq!(ids(ProgramType::CgroupSkb), [26, 95, 96, 98]);
        assert_eq!(ids(ProgramType::SockOps), [96]);
        assert_eq!(ids(ProgramType::CgroupSockopt), [96]);
        assert_eq!(ids(ProgramType::FlowDissector), [26]);
        assert!(ids(ProgramType::Kprobe).is_empty());
        assert!(ids(ProgramType::SkReuseport).is_empty());
    }
}
