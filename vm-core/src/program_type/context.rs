//! The context structures programs of each type get in `r1`, as Linux's UAPI lays them out
//! (`struct xdp_md`, `struct __sk_buff`, `struct pt_regs`, ...): which fields a program may read
//! and write, at which widths, and which hold packet pointers.
//!
//! A UAPI packet pointer field is 32 bits wide (`xdp_md.data`), too narrow for an address of a
//! 64-bit host. The context a program runs on is therefore the UAPI structure followed by the
//! packet pointers at full width ([`PacketPointers`]), then the packet itself (with headroom
//! before it): one buffer, whose first bytes are what the program reads. A load of a UAPI
//! pointer field is rewritten after verification into an 8-byte load of its full-width copy, as
//! Linux rewrites context accesses into loads from its own structures.

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A number.
    Scalar,
    /// The address of the first packet byte (`data`).
    PacketData,
    /// The address one past the last packet byte (`data_end`).
    PacketEnd,
    /// The address of the first byte of the metadata before the packet (`data_meta`).
    PacketMeta,
    /// A pointer to a kernel object oxbpf does not model (`flow_keys`, `bpf_sock_addr.sk`):
    /// programs may not read it.
    Object,
    /// The socket's common part or null (`__sk_buff.sk`: Linux's
    /// `PTR_TO_SOCK_COMMON_OR_NULL`), a [`bpf_sock`](BPF_SOCK) in the run-time context.
    SockCommonOrNull,
    /// A full socket or null (`bpf_sock_ops.sk`: `PTR_TO_SOCKET_OR_NULL`).
    SocketOrNull,
    /// A full socket, never null (`sk_msg_md.sk`, `bpf_sockopt.sk`: `PTR_TO_SOCKET`).
    Socket,
    /// A field the program type does not have (a socket filter's `data`): as if there were no
    /// field there.
    Hidden,
}

/// Which loads of a number field a program may make (Linux's `*_is_valid_access` rules per
/// field: `bpf_ctx_narrow_access_ok` over a field's range or at its offset only, or the
/// default size alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loads {
    /// Any naturally aligned part of the field's bytes, across elements of an array (as oxbpf
    /// reads `__sk_buff` and `xdp_md`).
    Any,
    /// An aligned power-of-two part of one element, anywhere in it (Linux's
    /// `bpf_ctx_range` cases with narrow loads: `bpf_sock.src_ip4`).
    Narrow,
    /// An aligned power-of-two part at the start of the field: its low bytes (Linux's
    /// `offsetof` cases with narrow loads: `bpf_sock.family`).
    Low,
    /// One element whole (Linux's `size == size_default` default).
    Whole,
    /// Scratch bytes: any naturally aligned access, loads and stores alike, across elements
    /// (`__sk_buff.cb[]`, which Linux lets programs read and write at any width).
    Scratch,
}

/// One field of a context structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CtxField {
    /// Its name in the UAPI structure.
    pub name: &'static str,
    /// Byte offset.
    pub offset: u32,
    /// Size in bytes (an array such as `cb[5]` is one field of its elements' size each:
    /// see [`count`](Self::count)).
    pub size: u32,
    /// Elements, for an array field (1 otherwise).
    pub count: u32,
    /// Whether programs of the type may write it.
    pub writable: bool,
    /// What it holds.
    pub kind: FieldKind,
    /// Which loads of it a number allows (pointers are always read whole).
    pub loads: Loads,
}

impl CtxField {
    /// A read-only number of `size` bytes at `offset`.
    pub const fn scalar(name: &'static str, offset: u32, size: u32) -> CtxField {
        CtxField {
            name,
            offset,
            size,
            count: 1,
            writable: false,
            kind: FieldKind::Scalar,
            loads: Loads::Any,
        }
    }

    /// The same field, writable.
    pub const fn writable(self) -> CtxField {
        CtxField {
            writable: true,
            ..self
        }
    }

    /// The same field, loaded as `loads` says.
    pub const fn loaded(self, loads: Loads) -> CtxField {
        CtxField { loads, ..self }
    }

    /// The same field as an array of `count` elements.
    pub const fn array(self, count: u32) -> CtxField {
        CtxField { count, ..self }
    }

    /// A field of kind `kind` (a pointer) of `size` bytes at `offset`, read-only.
    pub const fn pointer(name: &'static str, offset: u32, size: u32, kind: FieldKind) -> CtxField {
        CtxField {
            name,
            offset,
            size,
            count: 1,
            writable: false,
            kind,
            loads: Loads::Whole,
        }
    }

    /// Bytes the field spans.
    pub const fn span(&self) -> u32 {
        self.size * self.count
    }
}

/// How a program may reach the bytes of its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Field by field: a load reads one field (or, for a number, an aligned power-of-two part
    /// of it, as Linux's narrow loads), a store writes one writable field whole.
    Fields(&'static [CtxField]),
    /// Read-only: any naturally aligned load of 1, 2, 4 or 8 bytes at or after byte `from`
    /// (register sets, tracepoint records, raw tracepoint arguments).
    ReadOnly {
        /// The first byte programs may read (a tracepoint record's first 8 bytes are the
        /// kernel's).
        from: u32,
    },
}

/// Where the run-time context keeps the packet pointers at full width: byte offsets of 8-byte
/// little-endian addresses, right after the UAPI structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketPointers {
    /// Offset of the full-width `data`.
    pub data: u32,
    /// Offset of the full-width `data_end`.
    pub data_end: u32,
    /// Offset of the full-width `data_meta`.
    pub data_meta: u32,
    /// Offset of the socket the context's socket field points to, when the host gives one: a
    /// `struct bpf_sock` ([`SOCK_SIZE`] bytes), then a `struct bpf_tcp_sock`
    /// ([`TCP_SOCK_SIZE`] bytes).
    pub socket: u32,
    /// The UAPI field holding the socket's address (8 bytes), and whether it may be null; `None`
    /// for a context without one.
    pub socket_field: Option<(u32, bool)>,
    /// Bytes of the whole header (the UAPI structure, the pointers and the socket) before the
    /// packet area.
    pub header: u32,
}

/// Bytes of `struct bpf_sock`.
pub const SOCK_SIZE: u32 = 80;

/// Bytes of `struct bpf_tcp_sock` (up to `icsk_retransmits`).
pub const TCP_SOCK_SIZE: u32 = 112;

/// A context structure: its UAPI name and size, how programs reach it, its packet pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContextLayout {
    /// The UAPI structure (`xdp_md`).
    pub name: &'static str,
    /// Its size in bytes (for a tracepoint record, what the host says; 0 here).
    pub size: u32,
    /// How programs reach it.
    pub access: Access,
    /// For a packet context: where the full-width packet pointers are.
    pub packet: Option<PacketPointers>,
    /// Whether programs may write the packet.
    pub packet_writable: bool,
}

impl ContextLayout {
    /// The field holding bytes `off..off + size`, if one does.
    pub fn field_at(&self, off: u32, size: u32) -> Option<&'static CtxField> {
        self.fields_at(off, size).next()
    }

    /// Every field holding bytes `off..off + size`, in order.
    fn fields_at(&self, off: u32, size: u32) -> impl Iterator<Item = &'static CtxField> {
        let fields = match self.access {
            Access::Fields(fields) => fields,
            Access::ReadOnly { .. } => &[],
        };
        fields.iter().filter(move |f| {
            f.offset <= off
                && off
                    .checked_add(size)
                    .is_some_and(|e| e <= f.offset + f.span())
        })
    }

    /// The field of kind `kind`, if the structure has one.
    pub fn field_of(&self, kind: FieldKind) -> Option<&'static CtxField> {
        match self.access {
            Access::Fields(fields) => fields.iter().find(|f| f.kind == kind),
            Access::ReadOnly { .. } => None,
        }
    }

    /// The byte ranges programs may write.
    pub fn writable_ranges(&self) -> Vec<(u32, u32)> {
        match self.access {
            Access::Fields(fields) => fields
                .iter()
                .filter(|f| f.writable)
                .map(|f| (f.offset, f.offset + f.span()))
                .collect(),
            Access::ReadOnly { .. } => Vec::new(),
        }
    }

    /// Whether a program may load `size` bytes at `off` (an error naming the field or the rule
    /// otherwise), `write` for a store.
    pub fn check(&self, off: i64, size: u32, write: bool) -> Result<(), String> {
        let bad = || {
            format!(
                "invalid access to {} (off={off} size={size}{})",
                self.name,
                if write { ", write" } else { "" }
            )
        };
        let Ok(o) = u32::try_from(off) else {
            return Err(bad());
        };
        if !o.is_multiple_of(size) || !size.is_power_of_two() {
            return Err(format!("{}: not naturally aligned", bad()));
        }
        match self.access {
            Access::ReadOnly { from } => {
                if write {
                    return Err(format!("{}: {} is read-only", bad(), self.name));
                }
                let end = o.saturating_add(size);
                if o < from || (self.size != 0 && end > self.size) {
                    return Err(bad());
                }
                Ok(())
            }
            Access::Fields(_) => {
                // A structure may give one span two fields (`bpf_sock.dst_port` is read as 16
                // bits or as 32 with its padding): the access is good if one of them allows it.
                let mut first = None;
                for f in self
                    .fields_at(o, size)
                    .filter(|f| f.kind != FieldKind::Hidden)
                {
                    match Self::check_field(f, o, size, write) {
                        Ok(()) => return Ok(()),
                        Err(why) => {
                            first.get_or_insert(why);
                        }
                    }
                }
                Err(format!(
                    "{}: {}",
                    bad(),
                    first.unwrap_or_else(|| "no field there".into())
                ))
            }
        }
    }

    /// Why field `f` does not allow an access of `size` bytes at `o` (naturally aligned, within
    /// the field), if it does not.
    fn check_field(f: &CtxField, o: u32, size: u32, write: bool) -> Result<(), String> {
        let within = o - f.offset;
        let whole = size == f.size && within.is_multiple_of(f.size);
        if f.kind == FieldKind::Object {
            return Err(format!(
                "`{}` points to a kernel object, which programs here cannot reach",
                f.name
            ));
        }
        if write && !f.writable {
            return Err(format!("`{}` is read-only", f.name));
        }
        let whole_only = (write && f.loads != Loads::Scratch)
            || f.kind != FieldKind::Scalar
            || f.loads == Loads::Whole;
        let part = match f.loads {
            Loads::Any | Loads::Whole | Loads::Scratch => true,
            Loads::Narrow => size <= f.size,
            Loads::Low => size <= f.size && within.is_multiple_of(f.size),
        };
        if (whole_only && !whole) || !part {
            return Err(format!(
                "`{}` is accessed whole ({} bytes){}",
                f.name,
                f.size,
                match f.loads {
                    Loads::Low if !whole_only => " or by its first bytes",
                    Loads::Narrow if !whole_only => " or by a part of one element",
                    _ => "",
                }
            ));
        }
        Ok(())
    }
}

const fn s(name: &'static str, offset: u32, size: u32) -> CtxField {
    CtxField::scalar(name, offset, size)
}

/// The full-width packet pointers after a UAPI structure of `size` bytes.
const fn pointers_after(size: u32) -> PacketPointers {
    PacketPointers {
        data: size,
        data_end: size + 8,
        data_meta: size + 16,
        socket: size + 24,
        socket_field: None,
        header: size + 24,
    }
}

/// [`pointers_after`] for a structure whose 8-byte field at `field` holds its socket's
/// address (`nullable`: or 0): the socket after the pointers.
const fn with_socket(p: PacketPointers, field: u32, nullable: bool) -> PacketPointers {
    PacketPointers {
        socket_field: Some((field, nullable)),
        header: p.socket + SOCK_SIZE + TCP_SOCK_SIZE,
        ..p
    }
}

/// `struct xdp_md` (24 bytes): read-only, its packet pointers 32 bits wide.
const XDP_FIELDS: &[CtxField] = &[
    CtxField::pointer("data", 0, 4, FieldKind::PacketData),
    CtxField::pointer("data_end", 4, 4, FieldKind::PacketEnd),
    CtxField::pointer("data_meta", 8, 4, FieldKind::PacketMeta),
    s("ingress_ifindex", 12, 4),
    s("rx_queue_index", 16, 4),
    s("egress_ifindex", 20, 4),
];

/// XDP's context: `struct xdp_md`; the program may write the packet.
pub const XDP_MD: ContextLayout = ContextLayout {
    name: "xdp_md",
    size: 24,
    access: Access::Fields(XDP_FIELDS),
    packet: Some(pointers_after(24)),
    packet_writable: true,
};

/// Size of `struct __sk_buff`.
const SKB_SIZE: u32 = 192;

/// The fields of `struct __sk_buff`, all read-only (each view below makes some writable, or
/// leaves some out).
const SKB_FIELDS: [CtxField; 34] = [
    s("len", 0, 4),
    s("pkt_type", 4, 4),
    s("mark", 8, 4),
    s("queue_mapping", 12, 4),
    s("protocol", 16, 4),
    s("vlan_present", 20, 4),
    s("vlan_tci", 24, 4),
    s("vlan_proto", 28, 4),
    s("priority", 32, 4),
    s("ingress_ifindex", 36, 4),
    s("ifindex", 40, 4),
    s("tc_index", 44, 4),
    s("cb", 48, 4).array(5).loaded(Loads::Scratch),
    s("hash", 68, 4),
    s("tc_classid", 72, 4),
    CtxField::pointer("data", 76, 4, FieldKind::PacketData),
    CtxField::pointer("data_end", 80, 4, FieldKind::PacketEnd),
    s("napi_id", 84, 4),
    s("family", 88, 4),
    s("remote_ip4", 92, 4),
    s("local_ip4", 96, 4),
    s("remote_ip6", 100, 4).array(4),
    s("local_ip6", 116, 4).array(4),
    s("remote_port", 132, 4),
    s("local_port", 136, 4),
    CtxField::pointer("data_meta", 140, 4, FieldKind::PacketMeta),
    CtxField::pointer("flow_keys", 144, 8, FieldKind::Object),
    s("tstamp", 152, 8),
    s("wire_len", 160, 4),
    s("gso_segs", 164, 4),
    CtxField::pointer("sk", 168, 8, FieldKind::SockCommonOrNull),
    s("gso_size", 176, 4),
    s("tstamp_type", 180, 1),
    s("hwtstamp", 184, 8),
];

/// Whether `a` and `b` are the same name (a `const` string comparison).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `name` is one of `names`.
const fn among(name: &str, names: &[&str]) -> bool {
    let mut i = 0;
    while i < names.len() {
        if same(name, names[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// A view of `fields`: those named in `writable` writable, those in `hidden` unreachable (a
/// program type that does not have them).
const fn view<const N: usize>(
    fields: [CtxField; N],
    writable: &[&str],
    hidden: &[&str],
) -> [CtxField; N] {
    let mut out = fields;
    let mut i = 0;
    while i < N {
        if among(out[i].name, writable) {
            out[i].writable = true;
        }
        if among(out[i].name, hidden) {
            out[i].kind = FieldKind::Hidden;
        }
        i += 1;
    }
    out
}

/// `__sk_buff` as traffic control's programs see it: `mark`, `queue_mapping`, `priority`,
/// `tc_index`, `cb`, `tc_classid` and `tstamp` writable.
const SKB_TC_FIELDS: &[CtxField] = &view(
    SKB_FIELDS,
    &[
        "mark",
        "queue_mapping",
        "priority",
        "tc_index",
        "cb",
        "tc_classid",
        "tstamp",
    ],
    &[],
);

/// `__sk_buff` as a socket filter sees it: `cb` writable, no direct packet access (socket
/// filters read the packet with `skb_load_bytes` and legacy loads) and no traffic-control or
/// kernel-object fields.
const SKB_FILTER_FIELDS: &[CtxField] = &view(
    SKB_FIELDS,
    &["cb"],
    &[
        "tc_classid",
        "data",
        "data_end",
        "data_meta",
        "flow_keys",
        "tstamp_type",
    ],
);

/// `__sk_buff` as cgroup skb programs see it: `mark`, `priority`, `cb` and `tstamp` writable,
/// the packet readable.
const SKB_CGROUP_FIELDS: &[CtxField] = &view(
    SKB_FIELDS,
    &["mark", "priority", "cb", "tstamp"],
    &["tc_classid", "data_meta", "flow_keys", "tstamp_type"],
);

/// A read-only structure `name` of `size` bytes, readable from byte `from`.
const fn read_only(name: &'static str, size: u32, from: u32) -> ContextLayout {
    ContextLayout {
        name,
        size,
        access: Access::ReadOnly { from },
        packet: None,
        packet_writable: false,
    }
}

/// `struct __sk_buff` as `fields` give it, the packet writable or not.
const fn sk_buff(fields: &'static [CtxField], packet_writable: bool) -> ContextLayout {
    ContextLayout {
        name: "__sk_buff",
        size: SKB_SIZE,
        access: Access::Fields(fields),
        packet: Some(with_socket(pointers_after(SKB_SIZE), 168, true)),
        packet_writable,
    }
}

/// `struct __sk_buff` for traffic control (`tc`, `classifier`, `action`), lightweight tunnels'
/// transmit and sockmap stream programs: the packet writable.
pub const SK_BUFF_TC: ContextLayout = sk_buff(SKB_TC_FIELDS, true);

/// `struct __sk_buff` for lightweight tunnels' input and output and flow dissectors: as
/// traffic control's, the packet read-only.
pub const SK_BUFF_READ: ContextLayout = sk_buff(SKB_TC_FIELDS, false);

/// `struct __sk_buff` for socket filters: no direct packet access.
pub const SK_BUFF_FILTER: ContextLayout = sk_buff(SKB_FILTER_FIELDS, false);

/// `struct __sk_buff` for cgroup skb programs: the packet read-only.
pub const SK_BUFF_CGROUP: ContextLayout = sk_buff(SKB_CGROUP_FIELDS, false);

/// A structure `name` of `size` bytes reached field by field, without a packet.
const fn structure(name: &'static str, size: u32, fields: &'static [CtxField]) -> ContextLayout {
    ContextLayout {
        name,
        size,
        access: Access::Fields(fields),
        packet: None,
        packet_writable: false,
    }
}

/// A read-only number of `size` bytes at `offset`, loaded whole (Linux's default size rule).
const fn whole(name: &'static str, offset: u32, size: u32) -> CtxField {
    s(name, offset, size).loaded(Loads::Whole)
}

/// A read-only 32-bit number at `offset`, loaded whole.
const fn word(name: &'static str, offset: u32) -> CtxField {
    whole(name, offset, 4)
}

/// A read-only 32-bit number at `offset` of which loads may read any aligned part of one
/// element (`loads` [`Loads::Narrow`]) or its first bytes ([`Loads::Low`]).
const fn narrow(name: &'static str, offset: u32, loads: Loads) -> CtxField {
    s(name, offset, 4).loaded(loads)
}

/// A `__bpf_md_ptr` (8 bytes) at `offset` that oxbpf cannot give programs.
const fn object(name: &'static str, offset: u32) -> CtxField {
    CtxField::pointer(name, offset, 8, FieldKind::Object)
}

/// A placeholder filling arrays built by [`join`] (every element is overwritten).
const GAP: CtxField = CtxField::pointer("", 0, 0, FieldKind::Hidden);

/// `head`, `middle` and `tail` one after another (`N` = `A + B + C`, checked when compiled).
const fn join<const A: usize, const B: usize, const C: usize, const N: usize>(
    head: [CtxField; A],
    middle: [CtxField; B],
    tail: [CtxField; C],
) -> [CtxField; N] {
    assert!(A + B + C == N, "join: wrong length");
    let mut out = [GAP; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A {
            head[i]
        } else if i < A + B {
            middle[i - A]
        } else {
            tail[i - A - B]
        };
        i += 1;
    }
    out
}

/// The connection's addresses, at `at`, as `bpf_sock_ops` and `sk_msg_md` lay them out (and
/// `__sk_buff`, at 88): `family`, `remote_ip4`, `local_ip4`, `remote_ip6[4]`, `local_ip6[4]`,
/// `remote_port` and `local_port`, read-only, each 32-bit word loaded whole.
const fn peer_addresses(at: u32) -> [CtxField; 7] {
    [
        word("family", at),
        word("remote_ip4", at + 4),
        word("local_ip4", at + 8),
        word("remote_ip6", at + 12).array(4),
        word("local_ip6", at + 28).array(4),
        word("remote_port", at + 44),
        word("local_port", at + 48),
    ]
}

/// `sizeof(struct bpf_sock_ops)`: 224 (`skb_hwtstamp`, Linux 6.2 on, ends it).
const SOCK_OPS_SIZE: u32 = 224;

/// The fields of `struct bpf_sock_ops`, as `sock_ops_is_valid_access` allows them: every
/// 32-bit word loaded whole (`skb_tcp_flags` also by its first bytes), the 64-bit counters and
/// timestamp loaded whole; stores only to `reply` (the union's first word, also `args[0]` and
/// `replylong[0]`: mainline Linux refuses stores to `replylong[1..3]`) and `sk_txhash`.
/// `skb_data` and `skb_data_end` are packet pointers (8 bytes, read whole) to the TCP header
/// some callbacks see, read-only; `sk` the socket, or null.
const SOCK_OPS_FIELDS: [CtxField; 42] = join(
    [
        word("op", 0),
        word("reply", 4).writable(),
        // `args[1..3]`, `replylong[1..3]`.
        word("replylong", 8).array(3),
    ],
    peer_addresses(20),
    [
        word("is_fullsock", 72),
        word("snd_cwnd", 76),
        word("srtt_us", 80),
        word("bpf_sock_ops_cb_flags", 84),
        word("state", 88),
        word("rtt_min", 92),
        word("snd_ssthresh", 96),
        word("rcv_nxt", 100),
        word("snd_nxt", 104),
        word("snd_una", 108),
        word("mss_cache", 112),
        word("ecn_flags", 116),
        word("rate_delivered", 120),
        word("rate_interval_us", 124),
        word("packets_out", 128),
        word("retrans_out", 132),
        word("total_retrans", 136),
        word("segs_in", 140),
        word("data_segs_in", 144),
        word("segs_out", 148),
        word("data_segs_out", 152),
        word("lost_out", 156),
        word("sacked_out", 160),
        word("sk_txhash", 164).writable(),
        whole("bytes_received", 168, 8),
        whole("bytes_acked", 176, 8),
        CtxField::pointer("sk", 184, 8, FieldKind::SocketOrNull),
        CtxField::pointer("skb_data", 192, 8, FieldKind::PacketData),
        CtxField::pointer("skb_data_end", 200, 8, FieldKind::PacketEnd),
        word("skb_len", 208),
        narrow("skb_tcp_flags", 212, Loads::Low),
        whole("skb_hwtstamp", 216, 8),
    ],
);

/// `struct bpf_sock_ops` (224 bytes) for socket operations programs: see
/// `SOCK_OPS_FIELDS`; its packet (a TCP header, or none) read-only.
pub const BPF_SOCK_OPS: ContextLayout = ContextLayout {
    packet: Some(with_socket(pointers_after(SOCK_OPS_SIZE), 184, true)),
    ..structure("bpf_sock_ops", SOCK_OPS_SIZE, &SOCK_OPS_FIELDS)
};

/// The fields of `struct bpf_sock` (80 bytes) as cgroup socket programs reach them
/// (`bpf_sock_is_valid_access` with `__sock_filter_check_attach_type`). Linux narrows them by
/// attach type, which oxbpf does not know, so this is every hook's together: `bound_dev_if`,
/// `mark` and `priority` (writable, whole, at socket creation and release), `src_ip4`,
/// `src_ip6` and `src_port` (after bind). Addresses may be loaded by any part of a word,
/// `family`, `type`, `protocol`, `src_port`, `state` and `rx_queue_mapping` by their first
/// bytes; `dst_port` is 16 bits, loaded whole, by a byte, or as 32 bits with the zero padding
/// after it (the padding alone is refused).
const BPF_SOCK_FIELDS: &[CtxField] = &[
    word("bound_dev_if", 0).writable(),
    narrow("family", 4, Loads::Low),
    narrow("type", 8, Loads::Low),
    narrow("protocol", 12, Loads::Low),
    word("mark", 16).writable(),
    word("priority", 20).writable(),
    narrow("src_ip4", 24, Loads::Narrow),
    narrow("src_ip6", 28, Loads::Narrow).array(4),
    narrow("src_port", 44, Loads::Low),
    s("dst_port", 48, 2).loaded(Loads::Narrow),
    word("dst_port", 48),
    narrow("dst_ip4", 52, Loads::Narrow),
    narrow("dst_ip6", 56, Loads::Narrow).array(4),
    narrow("state", 72, Loads::Low),
    narrow("rx_queue_mapping", 76, Loads::Low),
];

/// `struct bpf_sock` (80 bytes) for cgroup socket programs: see `BPF_SOCK_FIELDS`. A socket
/// pointer (`__sk_buff.sk`, a helper's result) reaches the same fields, read-only; through its
/// common part alone (`PTR_TO_SOCK_COMMON`) not `type`, `protocol`, `mark` nor `priority`
/// ([`SOCK_COMMON_HIDDEN`]).
pub const BPF_SOCK: ContextLayout = structure("bpf_sock", SOCK_SIZE, BPF_SOCK_FIELDS);

/// The bytes of `struct bpf_sock` its common part does not reach (`type` to `priority`:
/// `bpf_sock_common_is_valid_access`).
pub const SOCK_COMMON_HIDDEN: (u32, u32) = (8, 24);

/// The fields of `struct bpf_tcp_sock`, read-only, each loaded whole
/// (`bpf_tcp_sock_is_valid_access`).
const TCP_SOCK_FIELDS: &[CtxField] = &[
    word("snd_cwnd", 0),
    word("srtt_us", 4),
    word("rtt_min", 8),
    word("snd_ssthresh", 12),
    word("rcv_nxt", 16),
    word("snd_nxt", 20),
    word("snd_una", 24),
    word("mss_cache", 28),
    word("ecn_flags", 32),
    word("rate_delivered", 36),
    word("rate_interval_us", 40),
    word("packets_out", 44),
    word("retrans_out", 48),
    word("total_retrans", 52),
    word("segs_in", 56),
    word("data_segs_in", 60),
    word("segs_out", 64),
    word("data_segs_out", 68),
    word("lost_out", 72),
    word("sacked_out", 76),
    whole("bytes_received", 80, 8),
    whole("bytes_acked", 88, 8),
    word("dsack_dups", 96),
    word("delivered", 100),
    word("delivered_ce", 104),
    word("icsk_retransmits", 108),
];

/// `struct bpf_tcp_sock` (112 bytes), the TCP state of a socket (`bpf_tcp_sock(sk)`): see
/// `TCP_SOCK_FIELDS`.
pub const BPF_TCP_SOCK: ContextLayout = structure("bpf_tcp_sock", TCP_SOCK_SIZE, TCP_SOCK_FIELDS);

/// `struct sk_msg_md` (80 bytes) for sockmap message programs, read-only, every number loaded
/// whole (`sk_msg_is_valid_access`). `data` and `data_end` (`__bpf_md_ptr`, 8 bytes) are
/// packet pointers to the message's bytes, which programs may write; `sk` the socket, never null.
const SK_MSG_FIELDS: [CtxField; 11] = join(
    [
        CtxField::pointer("data", 0, 8, FieldKind::PacketData),
        CtxField::pointer("data_end", 8, 8, FieldKind::PacketEnd),
    ],
    peer_addresses(16),
    [
        word("size", 68),
        CtxField::pointer("sk", 72, 8, FieldKind::Socket),
    ],
);

/// `struct sk_msg_md` for sockmap message programs: see `SK_MSG_FIELDS`; the message is the
/// packet, writable.
pub const SK_MSG_MD: ContextLayout = ContextLayout {
    packet: Some(with_socket(pointers_after(80), 72, false)),
    packet_writable: true,
    ..structure("sk_msg_md", 80, &SK_MSG_FIELDS)
};

/// The fields of `struct bpf_sock_addr` (72 bytes) as `sock_addr_is_valid_access` allows
/// them, for every attach type together (Linux gives each hook only its family's addresses):
/// `user_ip4`, `user_ip6`, `user_port`, `msg_src_ip4` and `msg_src_ip6` loaded by any part of
/// a word and written whole, the IPv6 addresses also loaded and written 8 bytes at an 8-aligned
/// offset; `user_family`, `family`, `type` and `protocol` read-only and whole; `sk` an object.
const SOCK_ADDR_FIELDS: &[CtxField] = &[
    word("user_family", 0),
    narrow("user_ip4", 4, Loads::Narrow).writable(),
    narrow("user_ip6", 8, Loads::Narrow).writable().array(4),
    whole("user_ip6", 8, 8).writable().array(2),
    narrow("user_port", 24, Loads::Narrow).writable(),
    word("family", 28),
    word("type", 32),
    word("protocol", 36),
    narrow("msg_src_ip4", 40, Loads::Narrow).writable(),
    narrow("msg_src_ip6", 44, Loads::Narrow).writable().array(4),
    whole("msg_src_ip6", 48, 8).writable(),
    object("sk", 64),
];

/// `struct bpf_sock_addr` for cgroup address hooks (bind, connect, sendmsg, ...): see
/// `SOCK_ADDR_FIELDS`.
pub const BPF_SOCK_ADDR: ContextLayout = structure("bpf_sock_addr", 72, SOCK_ADDR_FIELDS);

/// The fields of `struct bpf_sysctl` (8 bytes) as `sysctl_is_valid_access` allows them:
/// `write` (whether the sysctl is being written) read-only, `file_pos` read by any part and
/// written whole.
const SYSCTL_FIELDS: &[CtxField] = &[
    narrow("write", 0, Loads::Narrow),
    narrow("file_pos", 4, Loads::Narrow).writable(),
];

/// `struct bpf_sysctl` for cgroup sysctl programs: see `SYSCTL_FIELDS`.
pub const BPF_SYSCTL: ContextLayout = structure("bpf_sysctl", 8, SYSCTL_FIELDS);

/// The fields of `struct bpf_sockopt` (40 bytes) as `cg_sockopt_is_valid_access` allows them,
/// for both hooks together: `optval` and `optval_end` (`__bpf_md_ptr`) are packet pointers to the
/// option's bytes, which programs may write; `level`, `optname`, `optlen` and `retval` are read
/// and written whole (Linux lets `setsockopt` programs write the first two, `getsockopt` ones
/// `retval`); `sk` the socket, never null.
const SOCKOPT_FIELDS: [CtxField; 7] = [
    CtxField::pointer("sk", 0, 8, FieldKind::Socket),
    CtxField::pointer("optval", 8, 8, FieldKind::PacketData),
    CtxField::pointer("optval_end", 16, 8, FieldKind::PacketEnd),
    word("level", 24).writable(),
    word("optname", 28).writable(),
    word("optlen", 32).writable(),
    word("retval", 36).writable(),
];

/// `struct bpf_sockopt` for cgroup `getsockopt`/`setsockopt` programs: see `SOCKOPT_FIELDS`;
/// the option's value is the packet, writable.
pub const BPF_SOCKOPT: ContextLayout = ContextLayout {
    packet: Some(with_socket(pointers_after(40), 0, false)),
    packet_writable: true,
    ..structure("bpf_sockopt", 40, &SOCKOPT_FIELDS)
};

/// The fields of `struct bpf_sk_lookup` (72 bytes) as `sk_lookup_is_valid_access` allows
/// them, read-only: the addresses, `family`, `protocol`, `local_port` and `ingress_ifindex` by
/// any part of a word; `remote_port` (16 bits, network order) whole, by a byte, or as 32 bits
/// with the zero padding after it; `sk` (the socket chosen) an object.
const SK_LOOKUP_FIELDS: &[CtxField] = &[
    object("sk", 0),
    narrow("family", 8, Loads::Narrow),
    narrow("protocol", 12, Loads::Narrow),
    narrow("remote_ip4", 16, Loads::Narrow),
    narrow("remote_ip6", 20, Loads::Narrow).array(4),
    s("remote_port", 36, 2).loaded(Loads::Narrow),
    word("remote_port", 36),
    narrow("local_ip4", 40, Loads::Narrow),
    narrow("local_ip6", 44, Loads::Narrow).array(4),
    narrow("local_port", 60, Loads::Narrow),
    narrow("ingress_ifindex", 64, Loads::Narrow),
];

/// `struct bpf_sk_lookup` for socket lookup programs: see `SK_LOOKUP_FIELDS`.
pub const BPF_SK_LOOKUP: ContextLayout = structure("bpf_sk_lookup", 72, SK_LOOKUP_FIELDS);

/// `struct pt_regs` of x86-64 (21 registers of 8 bytes: `r15` … `ss`), read-only.
pub const PT_REGS_X86_64: ContextLayout = read_only("pt_regs", 21 * 8, 0);

/// `struct user_pt_regs` of aarch64 (`regs[31]`, `sp`, `pc`, `pstate`), read-only.
pub const PT_REGS_AARCH64: ContextLayout = read_only("user_pt_regs", 34 * 8, 0);

/// `struct bpf_perf_event_data` of x86-64: the registers, `sample_period`, `addr`.
pub const PERF_EVENT_X86_64: ContextLayout = read_only("bpf_perf_event_data", 21 * 8 + 16, 0);

/// `struct bpf_perf_event_data` of aarch64.
pub const PERF_EVENT_AARCH64: ContextLayout = read_only("bpf_perf_event_data", 34 * 8 + 16, 0);

/// A raw tracepoint's arguments: up to 12 of 8 bytes, read-only.
pub const RAW_TRACEPOINT_ARGS: ContextLayout = read_only("bpf_raw_tracepoint_args", 12 * 8, 0);

/// The arguments of a BTF-typed program (`fentry`/`fexit`/`fmod_ret`, `tp_btf`, `lsm`,
/// `struct_ops`): up to 12 of 8 bytes, then an `fexit`'s return value, read-only. Pointer
/// arguments are numbers here (oxbpf has no kernel BTF to type them): a program reads what they
/// point to with `probe_read_kernel`, as a kprobe does.
pub const TRACING_ARGS: ContextLayout = read_only("tracing arguments", 13 * 8, 0);

/// A tracepoint's record, read-only past its first 8 bytes (the kernel's common fields); its
/// size is the host's (0: up to the run's context length).
pub const TRACEPOINT_RECORD: ContextLayout = read_only("tracepoint record", 0, 8);

/// The register set of the machine this runs on (`pt_regs` of x86-64, `user_pt_regs` of
/// aarch64, x86-64's elsewhere).
pub const fn host_pt_regs() -> ContextLayout {
    if cfg!(target_arch = "aarch64") {
        PT_REGS_AARCH64
    } else {
        PT_REGS_X86_64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdp_fields_are_read_whole_and_never_written() {
        assert!(XDP_MD.check(0, 4, false).is_ok());
        assert!(XDP_MD.check(12, 4, false).is_ok());
        assert!(
            XDP_MD.check(12, 2, false).is_ok(),
            "a narrow load of a number"
        );
        assert!(
            XDP_MD.check(0, 2, false).is_err(),
            "a narrow load of a pointer"
        );
        assert!(XDP_MD.check(0, 8, false).is_err(), "two fields at once");
        assert!(XDP_MD.check(12, 4, true).is_err(), "a write");
        assert!(XDP_MD.check(24, 4, false).is_err(), "past the structure");
        assert!(XDP_MD.check(-4, 4, false).is_err());
        assert!(XDP_MD.check(13, 2, false).is_err(), "misaligned");
    }

    #[test]
    fn sk_buff_writes_only_its_writable_fields_whole() {
        assert!(SK_BUFF_TC.check(8, 4, true).is_ok(), "mark");
        assert!(SK_BUFF_TC.check(48 + 16, 4, true).is_ok(), "cb[4]");
        assert!(SK_BUFF_TC.check(48 + 20, 4, true).is_err(), "hash, past cb");
        // cb[] is scratch: any aligned width, two elements at once included.
        assert!(
            SK_BUFF_TC.check(48, 8, true).is_ok(),
            "cb[0..1] in one store"
        );
        assert!(
            SK_BUFF_TC.check(56, 8, false).is_ok(),
            "cb[2..3] in one load"
        );
        assert!(SK_BUFF_TC.check(50, 2, true).is_ok(), "half of cb[0]");
        assert!(SK_BUFF_TC.check(64, 8, true).is_err(), "cb[4] and hash");
        assert!(SK_BUFF_TC.check(52, 8, true).is_err(), "misaligned");
        assert!(SK_BUFF_TC.check(8, 2, true).is_err(), "part of mark");
        assert!(SK_BUFF_TC.check(0, 4, true).is_err(), "len");
        assert!(SK_BUFF_TC.check(168, 8, false).is_ok(), "sk");
        assert!(SK_BUFF_TC.check(168, 8, true).is_err(), "sk is read-only");
        assert!(SK_BUFF_TC.check(168, 4, false).is_err(), "half of sk");
        assert!(SK_BUFF_TC.check(180, 1, false).is_ok(), "tstamp_type");
        assert!(SK_BUFF_TC.check(181, 1, false).is_err(), "padding");
        assert!(
            SK_BUFF_FILTER.check(76, 4, false).is_err(),
            "no data for socket filters"
        );
        assert!(
            SK_BUFF_FILTER.check(8, 4, true).is_err(),
            "mark, in a filter"
        );
    }

    #[test]
    fn register_sets_and_records_are_read_aligned() {
        assert!(PT_REGS_X86_64.check(160, 8, false).is_ok());
        assert!(PT_REGS_X86_64.check(168, 8, false).is_err());
        assert!(PT_REGS_X86_64.check(4, 4, false).is_ok());
        assert!(PT_REGS_X86_64.check(4, 8, false).is_err());
        assert!(PT_REGS_X86_64.check(0, 8, true).is_err());
        assert!(TRACEPOINT_RECORD.check(8, 4, false).is_ok());
        assert!(
            TRACEPOINT_RECORD.check(4, 4, false).is_err(),
            "the common fields"
        );
        assert_eq!(XDP_MD.packet.unwrap().header, 48);
        // The pointers, then the socket (bpf_sock and bpf_tcp_sock) where the structure has one.
        assert_eq!(SK_BUFF_TC.packet.unwrap().header, 216 + 80 + 112);
        assert_eq!(SK_BUFF_TC.packet.unwrap().socket_field, Some((168, true)));
        assert_eq!(XDP_MD.packet.unwrap().socket_field, None);
    }
    /// The end of the last field: the structure's size, as the UAPI's `sizeof`.
    fn end(layout: &ContextLayout) -> u32 {
        let Access::Fields(fields) = layout.access else {
            unreachable!()
        };
        fields.iter().map(|f| f.offset + f.span()).max().unwrap()
    }

    /// The offset of the field `name` (its first entry).
    fn offset(layout: &ContextLayout, name: &str) -> u32 {
        let Access::Fields(fields) = layout.access else {
            unreachable!()
        };
        fields.iter().find(|f| f.name == name).unwrap().offset
    }

    #[test]
    fn socket_structures_have_linux_sizes_and_offsets() {
        // sizeof in include/uapi/linux/bpf.h (Linux 6.2 on for bpf_sock_ops' skb_hwtstamp).
        for (layout, size) in [
            (BPF_SOCK_OPS, 224),
            (BPF_SOCK, 80),
            (SK_MSG_MD, 80),
            (BPF_SOCK_ADDR, 72),
            (BPF_SYSCTL, 8),
            (BPF_SOCKOPT, 40),
            (BPF_TCP_SOCK, 112),
        ] {
            assert_eq!(layout.size, size, "{}", layout.name);
            assert_eq!(end(&layout), size, "{}", layout.name);
        }
        // bpf_sk_lookup's last field ends at 68; its first, a union with a u64, aligns it to 8.
        assert_eq!((BPF_SK_LOOKUP.size, end(&BPF_SK_LOOKUP)), (72, 68));
        assert_eq!(offset(&BPF_SK_LOOKUP, "local_port"), 60);
        assert_eq!(offset(&BPF_SOCKOPT, "retval"), 36);
        // Messages are packets programs may write; sock_ops' TCP header is read-only; sockets
        // and addresses have none.
        assert!(SK_MSG_MD.packet.is_some() && SK_MSG_MD.packet_writable);
        assert!(BPF_SOCK_OPS.packet.is_some() && !BPF_SOCK_OPS.packet_writable);
        assert!(BPF_SOCK.packet.is_none() && BPF_SOCK_ADDR.packet.is_none());
        assert_eq!(offset(&SK_MSG_MD, "data_end"), 8);
        assert_eq!(offset(&BPF_SOCK_OPS, "skb_data_end"), 200);
        for (layout, name, at) in [
            (BPF_SOCK_OPS, "family", 20),
            (BPF_SOCK_OPS, "local_port", 68),
            (BPF_SOCK_OPS, "sk_txhash", 164),
            (BPF_SOCK_OPS, "sk", 184),
            (BPF_SOCK_OPS, "skb_tcp_flags", 212),
            (BPF_SOCK, "src_port", 44),
            (BPF_SOCK, "dst_ip4", 52),
            (BPF_SOCK, "rx_queue_mapping", 76),
            (SK_MSG_MD, "remote_ip6", 28),
            (SK_MSG_MD, "size", 68),
            (SK_MSG_MD, "sk", 72),
            (BPF_SOCK_ADDR, "user_port", 24),
            (BPF_SOCK_ADDR, "msg_src_ip6", 44),
            (BPF_SOCK_ADDR, "sk", 64),
        ] {
            assert_eq!(offset(&layout, name), at, "{}.{name}", layout.name);
        }
    }

    /// Checks each `(offset, size, write, allowed, what)` against `layout`.
    fn expect(layout: ContextLayout, cases: &[(i64, u32, bool, bool, &str)]) {
        for &(off, size, write, allowed, what) in cases {
            let got = layout.check(off, size, write);
            assert_eq!(got.is_ok(), allowed, "{what}: {got:?}");
        }
    }

    #[test]
    fn sock_ops_writes_reply_and_txhash_whole_and_reads_words_whole() {
        expect(
            BPF_SOCK_OPS,
            &[
                (4, 4, true, true, "reply"),
                (164, 4, true, true, "sk_txhash"),
                (4, 2, true, false, "part of reply"),
                (8, 4, true, false, "replylong[1]"),
                (0, 4, true, false, "op"),
                (8, 4, false, true, "args[1]"),
                (0, 2, false, false, "a narrow load of op"),
                (32, 8, false, false, "two words of remote_ip6"),
                (168, 8, false, true, "bytes_received"),
                (168, 4, false, false, "half of bytes_received"),
                (212, 1, false, true, "skb_tcp_flags' first byte"),
                (213, 1, false, false, "its second"),
                (184, 8, false, true, "sk"),
                (192, 8, false, true, "skb_data"),
                (200, 8, false, true, "skb_data_end"),
                (192, 4, false, false, "half of skb_data"),
                (192, 8, true, false, "a store to skb_data"),
            ],
        );
    }

    #[test]
    fn bpf_sock_narrow_loads_and_writes() {
        for w in [0, 16, 20] {
            expect(
                BPF_SOCK,
                &[
                    (w, 4, true, true, "a write"),
                    (w, 2, true, false, "a part write"),
                    (w, 2, false, false, "a narrow load"),
                ],
            );
        }
        expect(
            BPF_SOCK,
            &[
                (4, 4, true, false, "family is read-only"),
                (4, 1, false, true, "family's first byte"),
                (5, 1, false, false, "family's second byte"),
                (30, 2, false, true, "part of src_ip6[0]"),
                (32, 8, false, false, "two words of src_ip6"),
                (48, 2, false, true, "dst_port"),
                (49, 1, false, true, "dst_port's second byte"),
                (48, 4, false, true, "dst_port with its padding"),
                (50, 2, false, false, "the padding alone"),
                (51, 1, false, false, "a padding byte"),
            ],
        );
    }

    #[test]
    fn sysctl_sockopt_and_sk_lookup_fields_are_reached_as_linux_allows() {
        expect(
            BPF_SYSCTL,
            &[
                (0, 4, false, true, "write"),
                (0, 1, false, true, "write's first byte"),
                (0, 4, true, false, "write is read-only"),
                (4, 4, true, true, "file_pos written whole"),
                (4, 2, true, false, "part of file_pos written"),
                (6, 2, false, true, "part of file_pos read"),
                (8, 4, false, false, "past the end"),
            ],
        );
        expect(
            BPF_SOCKOPT,
            &[
                (8, 8, false, true, "optval"),
                (16, 8, false, true, "optval_end"),
                (8, 4, false, false, "half of optval"),
                (24, 4, true, true, "level written"),
                (32, 4, true, true, "optlen written"),
                (36, 4, false, true, "retval"),
                (32, 2, false, false, "part of optlen"),
                (0, 8, false, true, "sk"),
                (40, 4, false, false, "past the end"),
            ],
        );
        expect(
            BPF_SK_LOOKUP,
            &[
                (8, 4, false, true, "family"),
                (12, 1, false, true, "protocol's first byte"),
                (36, 2, false, true, "remote_port"),
                (36, 4, false, true, "remote_port with its padding"),
                (38, 2, false, false, "the padding alone"),
                (60, 4, false, true, "local_port"),
                (60, 4, true, false, "local_port is read-only"),
                (0, 8, false, false, "sk"),
                (68, 4, false, false, "past ingress_ifindex"),
            ],
        );
        assert!(BPF_SOCKOPT.packet.is_some() && BPF_SOCKOPT.packet_writable);
    }

    #[test]
    fn sk_msg_reads_numbers_and_packet_pointers_whole() {
        expect(
            SK_MSG_MD,
            &[
                (16, 4, false, true, "family"),
                (68, 4, false, true, "size"),
                (68, 2, false, false, "part of size"),
                (68, 4, true, false, "size is read-only"),
                (0, 8, false, true, "data"),
                (8, 8, false, true, "data_end"),
                (0, 4, false, false, "half of data"),
                (72, 8, false, true, "sk"),
            ],
        );
    }

    #[test]
    fn sock_addr_writes_addresses_and_ports() {
        expect(
            BPF_SOCK_ADDR,
            &[
                (4, 4, true, true, "user_ip4"),
                (4, 2, true, false, "part of user_ip4"),
                (4, 2, false, true, "a narrow load of user_ip4"),
                (24, 4, true, true, "user_port"),
                (20, 4, true, true, "user_ip6[3]"),
                (16, 8, true, true, "user_ip6[2..4] at once"),
                (16, 8, false, true, "user_ip6[2..4] read at once"),
                (12, 8, false, false, "user_ip6[1..3], not 8-aligned"),
                (44, 4, true, true, "msg_src_ip6[0]"),
                (48, 8, true, true, "msg_src_ip6[1..3] at once"),
                (56, 8, false, false, "past msg_src_ip6"),
                (0, 4, true, false, "user_family is read-only"),
                (28, 2, false, false, "a narrow load of family"),
                (64, 8, false, false, "sk"),
                (60, 4, false, false, "padding"),
            ],
        );
    }
}
