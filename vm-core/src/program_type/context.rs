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
    /// A pointer to a kernel object oxbpf does not model (`__sk_buff.sk`, `flow_keys`):
    /// programs may not read it.
    Object,
    /// A field the program type does not have (a socket filter's `data`): as if there were no
    /// field there.
    Hidden,
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
        }
    }

    /// The same field, writable.
    pub const fn writable(self) -> CtxField {
        CtxField {
            writable: true,
            ..self
        }
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
    /// Bytes of the whole header (the UAPI structure and the pointers) before the packet area.
    pub header: u32,
}

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
        let Access::Fields(fields) = self.access else {
            return None;
        };
        fields.iter().find(|f| {
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
                let Some(f) = self
                    .field_at(o, size)
                    .filter(|f| f.kind != FieldKind::Hidden)
                else {
                    return Err(format!("{}: no field there", bad()));
                };
                let whole = size == f.size && (o - f.offset).is_multiple_of(f.size);
                if f.kind == FieldKind::Object {
                    return Err(format!(
                        "{}: `{}` points to a kernel object, which programs here cannot reach",
                        bad(),
                        f.name
                    ));
                }
                if write && !f.writable {
                    return Err(format!("{}: `{}` is read-only", bad(), f.name));
                }
                if (write || f.kind != FieldKind::Scalar) && !whole {
                    return Err(format!(
                        "{}: `{}` is accessed whole ({} bytes)",
                        bad(),
                        f.name,
                        f.size
                    ));
                }
                Ok(())
            }
        }
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
        header: size + 24,
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
    s("cb", 48, 4).array(5),
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
    CtxField::pointer("sk", 168, 8, FieldKind::Object),
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
        "sk",
        "tstamp_type",
    ],
);

/// `__sk_buff` as cgroup skb programs see it: `mark`, `priority`, `cb` and `tstamp` writable,
/// the packet readable.
const SKB_CGROUP_FIELDS: &[CtxField] = &view(
    SKB_FIELDS,
    &["mark", "priority", "cb", "tstamp"],
    &["tc_classid", "data_meta", "flow_keys", "sk", "tstamp_type"],
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
        packet: Some(pointers_after(SKB_SIZE)),
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
        assert!(SK_BUFF_TC.check(8, 2, true).is_err(), "part of mark");
        assert!(SK_BUFF_TC.check(0, 4, true).is_err(), "len");
        assert!(SK_BUFF_TC.check(168, 8, false).is_err(), "sk");
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
        assert_eq!(SK_BUFF_TC.packet.unwrap().header, 216);
    }
}
