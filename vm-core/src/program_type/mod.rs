//! Program types by their Linux id (`enum bpf_prog_type`): what a program is attached to, which
//! decides its context ([`context`]) and the helpers it may call.

pub mod context;

pub use context::{
    Access, ContextLayout, CtxField, FieldKind, PacketPointers, SOCK_SIZE, TCP_SOCK_SIZE,
};

/// Declares [`ProgramType`] from one table: each type's variant, Linux id and name (without the
/// `BPF_PROG_TYPE_` prefix, lower case), and the lookups derived from it.
macro_rules! program_types {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $name:literal;)*) => {
        /// A program type, by its Linux id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum ProgramType {
            $($(#[$doc])* $variant = $id,)*
        }

        impl ProgramType {
            /// Every type, by id.
            pub const ALL: &'static [ProgramType] = &[$(ProgramType::$variant),*];

            /// The name without the `BPF_PROG_TYPE_` prefix, lower case (`"xdp"`,
            /// `"sched_cls"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(ProgramType::$variant => $name,)*
                }
            }
        }
    };
}

program_types! {
    /// `BPF_PROG_TYPE_SOCKET_FILTER`: a socket filter over an `__sk_buff`.
    SocketFilter = 1, "socket_filter";
    /// `BPF_PROG_TYPE_KPROBE`: kprobes and uprobes over `pt_regs`.
    Kprobe = 2, "kprobe";
    /// `BPF_PROG_TYPE_SCHED_CLS`: a traffic-control classifier over an `__sk_buff`.
    SchedCls = 3, "sched_cls";
    /// `BPF_PROG_TYPE_SCHED_ACT`: a traffic-control action over an `__sk_buff`.
    SchedAct = 4, "sched_act";
    /// `BPF_PROG_TYPE_TRACEPOINT`: a tracepoint over its record.
    Tracepoint = 5, "tracepoint";
    /// `BPF_PROG_TYPE_XDP`: an XDP program over an `xdp_md`.
    Xdp = 6, "xdp";
    /// `BPF_PROG_TYPE_PERF_EVENT`: a perf event over `bpf_perf_event_data`.
    PerfEvent = 7, "perf_event";
    /// `BPF_PROG_TYPE_CGROUP_SKB`: a cgroup's ingress or egress filter over an `__sk_buff`.
    CgroupSkb = 8, "cgroup_skb";
    /// `BPF_PROG_TYPE_CGROUP_SOCK`: a cgroup's socket hooks over a `bpf_sock`.
    CgroupSock = 9, "cgroup_sock";
    /// `BPF_PROG_TYPE_LWT_IN`: a lightweight tunnel's input over an `__sk_buff`.
    LwtIn = 10, "lwt_in";
    /// `BPF_PROG_TYPE_LWT_OUT`: a lightweight tunnel's output over an `__sk_buff`.
    LwtOut = 11, "lwt_out";
    /// `BPF_PROG_TYPE_LWT_XMIT`: a lightweight tunnel's transmit over an `__sk_buff`.
    LwtXmit = 12, "lwt_xmit";
    /// `BPF_PROG_TYPE_SOCK_OPS`: socket operations over a `bpf_sock_ops`.
    SockOps = 13, "sock_ops";
    /// `BPF_PROG_TYPE_SK_SKB`: a sockmap's stream parser or verdict over an `__sk_buff`.
    SkSkb = 14, "sk_skb";
    /// `BPF_PROG_TYPE_CGROUP_DEVICE`: a cgroup's device access check.
    CgroupDevice = 15, "cgroup_device";
    /// `BPF_PROG_TYPE_SK_MSG`: a sockmap's message verdict over an `sk_msg_md`.
    SkMsg = 16, "sk_msg";
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`: a raw tracepoint over its arguments (`u64` each).
    RawTracepoint = 17, "raw_tracepoint";
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`: a cgroup's bind, connect and send hooks over a
    /// `bpf_sock_addr`.
    CgroupSockAddr = 18, "cgroup_sock_addr";
    /// `BPF_PROG_TYPE_LWT_SEG6LOCAL`: a seg6local action over an `__sk_buff`.
    LwtSeg6local = 19, "lwt_seg6local";
    /// `BPF_PROG_TYPE_LIRC_MODE2`: an infrared decoder.
    LircMode2 = 20, "lirc_mode2";
    /// `BPF_PROG_TYPE_SK_REUSEPORT`: a `SO_REUSEPORT` socket selector.
    SkReuseport = 21, "sk_reuseport";
    /// `BPF_PROG_TYPE_FLOW_DISSECTOR`: a flow dissector over an `__sk_buff`.
    FlowDissector = 22, "flow_dissector";
    /// `BPF_PROG_TYPE_CGROUP_SYSCTL`: a cgroup's sysctl access check.
    CgroupSysctl = 23, "cgroup_sysctl";
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`: a raw tracepoint that may write its buffer.
    RawTracepointWritable = 24, "raw_tracepoint_writable";
    /// `BPF_PROG_TYPE_CGROUP_SOCKOPT`: a cgroup's `getsockopt`/`setsockopt` hooks.
    CgroupSockopt = 25, "cgroup_sockopt";
    /// `BPF_PROG_TYPE_TRACING`: BTF-typed tracing (`fentry`, `fexit`, `tp_btf`, iterators).
    Tracing = 26, "tracing";
    /// `BPF_PROG_TYPE_STRUCT_OPS`: an implementation of a kernel operations table.
    StructOps = 27, "struct_ops";
    /// `BPF_PROG_TYPE_EXT`: a replacement of another program's function.
    Ext = 28, "ext";
    /// `BPF_PROG_TYPE_LSM`: a Linux security module hook.
    Lsm = 29, "lsm";
    /// `BPF_PROG_TYPE_SK_LOOKUP`: a socket lookup over a `bpf_sk_lookup`.
    SkLookup = 30, "sk_lookup";
    /// `BPF_PROG_TYPE_SYSCALL`: a program run by the `bpf()` system call over its arguments.
    Syscall = 31, "syscall";
    /// `BPF_PROG_TYPE_NETFILTER`: a netfilter hook.
    Netfilter = 32, "netfilter";
}

impl ProgramType {
    /// The type with Linux id `id`.
    pub fn from_id(id: u32) -> Option<ProgramType> {
        ProgramType::ALL.iter().copied().find(|t| *t as u32 == id)
    }

    /// The type by its name without the `BPF_PROG_TYPE_` prefix, any case (`"xdp"`,
    /// `"SCHED_CLS"`).
    pub fn from_name(name: &str) -> Option<ProgramType> {
        ProgramType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

impl ProgramType {
    /// The context structure programs of this type get, as this machine lays it out (register
    /// sets are the host's), if oxbpf describes it; `None` for types whose context it does not
    /// describe, which run over raw memory.
    pub const fn context(self) -> Option<ContextLayout> {
        use ProgramType as T;
        Some(match self {
            T::Xdp => context::XDP_MD,
            T::SocketFilter => context::SK_BUFF_FILTER,
            T::SchedCls | T::SchedAct | T::LwtXmit | T::SkSkb => context::SK_BUFF_TC,
            T::LwtIn | T::LwtOut | T::LwtSeg6local | T::FlowDissector => context::SK_BUFF_READ,
            T::CgroupSkb => context::SK_BUFF_CGROUP,
            T::SockOps => context::BPF_SOCK_OPS,
            T::CgroupSock => context::BPF_SOCK,
            T::SkMsg => context::SK_MSG_MD,
            T::CgroupSockAddr => context::BPF_SOCK_ADDR,
            T::CgroupSysctl => context::BPF_SYSCTL,
            T::CgroupSockopt => context::BPF_SOCKOPT,
            T::SkLookup => context::BPF_SK_LOOKUP,
            T::Kprobe => context::host_pt_regs(),
            T::PerfEvent => {
                if cfg!(target_arch = "aarch64") {
                    context::PERF_EVENT_AARCH64
                } else {
                    context::PERF_EVENT_X86_64
                }
            }
            T::RawTracepoint | T::RawTracepointWritable => context::RAW_TRACEPOINT_ARGS,
            T::Tracing | T::Lsm | T::StructOps => context::TRACING_ARGS,
            T::Tracepoint => context::TRACEPOINT_RECORD,
            _ => return None,
        })
    }
}

impl ProgramType {
    /// Whether programs of this type may use the legacy packet loads (`ldabs`/`ldind`), as
    /// Linux lets socket filters and traffic-control programs: they read the packet, in
    /// network byte order, and a load outside it ends the program with `r0 = 0`.
    pub const fn legacy_packet_loads(self) -> bool {
        matches!(
            self,
            ProgramType::SocketFilter | ProgramType::SchedCls | ProgramType::SchedAct
        )
    }

    /// The name of the action `r0` stands for, for the types whose return value is one: XDP's
    /// `XDP_*` and traffic control's `TC_ACT_*`.
    pub fn action_name(self, r0: u64) -> Option<&'static str> {
        match self {
            ProgramType::Xdp => match r0 as u32 {
                0 => Some("XDP_ABORTED"),
                1 => Some("XDP_DROP"),
                2 => Some("XDP_PASS"),
                3 => Some("XDP_TX"),
                4 => Some("XDP_REDIRECT"),
                _ => None,
            },
            ProgramType::SchedCls | ProgramType::SchedAct => match r0 as i32 {
                -1 => Some("TC_ACT_UNSPEC"),
                0 => Some("TC_ACT_OK"),
                1 => Some("TC_ACT_RECLASSIFY"),
                2 => Some("TC_ACT_SHOT"),
                3 => Some("TC_ACT_PIPE"),
                4 => Some("TC_ACT_STOLEN"),
                5 => Some("TC_ACT_QUEUED"),
                6 => Some("TC_ACT_REPEAT"),
                7 => Some("TC_ACT_REDIRECT"),
                _ => None,
            },
            _ => None,
        }
    }
}

impl std::fmt::Display for ProgramType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_look_up_both_ways() {
        for &t in ProgramType::ALL {
            assert_eq!(ProgramType::from_id(t as u32), Some(t));
            assert_eq!(ProgramType::from_name(t.name()), Some(t));
            assert_eq!(ProgramType::from_name(&t.name().to_uppercase()), Some(t));
        }
        assert_eq!(ProgramType::from_id(6), Some(ProgramType::Xdp));
        assert_eq!(ProgramType::from_id(3), Some(ProgramType::SchedCls));
        assert_eq!(ProgramType::from_id(0), None);
        assert_eq!(ProgramType::from_id(33), None);
        assert_eq!(ProgramType::ALL.len(), 32);
    }
}
