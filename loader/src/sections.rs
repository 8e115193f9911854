//! Program types from section names, as the loaders whose objects oxbpf reads name them: libbpf's
//! `SEC()` conventions (its `section_defs` table), the prefixes libbpf took before 1.0 (`xdp_pass`,
//! `socket1`, `kprobe/...`), and iproute2's (`classifier`, `action`, and `N/M` for the program
//! its tail calls reach through slot `M` of the program array whose id is `N`).

use oxbpf_core::program_type::ProgramType;

/// How a name of [`SECTIONS`] matches a section name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    /// Only the name itself.
    Exact,
    /// The name itself or the name, `/` and anything (libbpf's `type+`).
    Plus,
    /// The name itself; libbpf before 1.0 took it as a prefix of anything, and kernel samples
    /// and tutorials rely on that (`socket1`, `xdp_drop`, `classifier/ingress`).
    Legacy,
}

use Match::{Exact, Legacy, Plus};
use ProgramType as T;

/// libbpf's section names, most specific first where one extends another (`cgroup/sock_create`
/// before `cgroup/sock`, `sk_skb/stream_parser` before `sk_skb`): the first match decides.
const SECTIONS: &[(&str, Match, ProgramType)] = &[
    ("socket", Legacy, T::SocketFilter),
    ("sk_reuseport/migrate", Legacy, T::SkReuseport),
    ("sk_reuseport", Legacy, T::SkReuseport),
    ("kprobe", Plus, T::Kprobe),
    ("uprobe", Plus, T::Kprobe),
    ("uprobe.s", Plus, T::Kprobe),
    ("kretprobe", Plus, T::Kprobe),
    ("uretprobe", Plus, T::Kprobe),
    ("uretprobe.s", Plus, T::Kprobe),
    ("kprobe.multi", Plus, T::Kprobe),
    ("kretprobe.multi", Plus, T::Kprobe),
    ("kprobe.session", Plus, T::Kprobe),
    ("uprobe.multi", Plus, T::Kprobe),
    ("uretprobe.multi", Plus, T::Kprobe),
    ("uprobe.multi.s", Plus, T::Kprobe),
    ("uretprobe.multi.s", Plus, T::Kprobe),
    ("ksyscall", Plus, T::Kprobe),
    ("kretsyscall", Plus, T::Kprobe),
    ("usdt", Plus, T::Kprobe),
    ("usdt.s", Plus, T::Kprobe),
    ("tc/ingress", Exact, T::SchedCls),
    ("tc/egress", Exact, T::SchedCls),
    ("tcx/ingress", Exact, T::SchedCls),
    ("tcx/egress", Exact, T::SchedCls),
    ("tc", Exact, T::SchedCls),
    ("classifier", Legacy, T::SchedCls),
    ("action", Legacy, T::SchedAct),
    ("netkit/primary", Exact, T::SchedCls),
    ("netkit/peer", Exact, T::SchedCls),
    ("tracepoint", Plus, T::Tracepoint),
    ("tp", Plus, T::Tracepoint),
    ("raw_tracepoint", Plus, T::RawTracepoint),
    ("raw_tp", Plus, T::RawTracepoint),
    ("raw_tracepoint.w", Plus, T::RawTracepointWritable),
    ("raw_tp.w", Plus, T::RawTracepointWritable),
    ("tp_btf", Plus, T::Tracing),
    ("fentry", Plus, T::Tracing),
    ("fmod_ret", Plus, T::Tracing),
    ("fexit", Plus, T::Tracing),
    ("fentry.s", Plus, T::Tracing),
    ("fmod_ret.s", Plus, T::Tracing),
    ("fexit.s", Plus, T::Tracing),
    ("freplace", Plus, T::Ext),
    ("lsm", Plus, T::Lsm),
    ("lsm.s", Plus, T::Lsm),
    ("lsm_cgroup", Plus, T::Lsm),
    ("iter", Plus, T::Tracing),
    ("iter.s", Plus, T::Tracing),
    ("syscall", Exact, T::Syscall),
    ("xdp.frags/devmap", Exact, T::Xdp),
    ("xdp/devmap", Exact, T::Xdp),
    ("xdp.frags/cpumap", Exact, T::Xdp),
    ("xdp/cpumap", Exact, T::Xdp),
    ("xdp.frags", Exact, T::Xdp),
    ("xdp", Legacy, T::Xdp),
    ("perf_event", Legacy, T::PerfEvent),
    ("lwt_in", Legacy, T::LwtIn),
    ("lwt_out", Legacy, T::LwtOut),
    ("lwt_xmit", Legacy, T::LwtXmit),
    ("lwt_seg6local", Legacy, T::LwtSeg6local),
    ("sockops", Legacy, T::SockOps),
    ("sk_skb/stream_parser", Legacy, T::SkSkb),
    ("sk_skb/stream_verdict", Legacy, T::SkSkb),
    ("sk_skb", Legacy, T::SkSkb),
    ("sk_msg", Legacy, T::SkMsg),
    ("lirc_mode2", Legacy, T::LircMode2),
    ("flow_dissector", Legacy, T::FlowDissector),
    ("cgroup_skb/ingress", Legacy, T::CgroupSkb),
    ("cgroup_skb/egress", Legacy, T::CgroupSkb),
    ("cgroup/skb", Legacy, T::CgroupSkb),
    ("cgroup/sock_create", Legacy, T::CgroupSock),
    ("cgroup/sock_release", Legacy, T::CgroupSock),
    ("cgroup/sock", Legacy, T::CgroupSock),
    ("cgroup/post_bind4", Legacy, T::CgroupSock),
    ("cgroup/post_bind6", Legacy, T::CgroupSock),
    ("cgroup/bind4", Legacy, T::CgroupSockAddr),
    ("cgroup/bind6", Legacy, T::CgroupSockAddr),
    ("cgroup/connect4", Legacy, T::CgroupSockAddr),
    ("cgroup/connect6", Legacy, T::CgroupSockAddr),
    ("cgroup/connect_unix", Exact, T::CgroupSockAddr),
    ("cgroup/sendmsg4", Legacy, T::CgroupSockAddr),
    ("cgroup/sendmsg6", Legacy, T::CgroupSockAddr),
    ("cgroup/sendmsg_unix", Exact, T::CgroupSockAddr),
    ("cgroup/recvmsg4", Legacy, T::CgroupSockAddr),
    ("cgroup/recvmsg6", Legacy, T::CgroupSockAddr),
    ("cgroup/recvmsg_unix", Exact, T::CgroupSockAddr),
    ("cgroup/getpeername4", Legacy, T::CgroupSockAddr),
    ("cgroup/getpeername6", Legacy, T::CgroupSockAddr),
    ("cgroup/getpeername_unix", Exact, T::CgroupSockAddr),
    ("cgroup/getsockname4", Legacy, T::CgroupSockAddr),
    ("cgroup/getsockname6", Legacy, T::CgroupSockAddr),
    ("cgroup/getsockname_unix", Exact, T::CgroupSockAddr),
    ("cgroup/sysctl", Legacy, T::CgroupSysctl),
    ("cgroup/getsockopt", Legacy, T::CgroupSockopt),
    ("cgroup/setsockopt", Legacy, T::CgroupSockopt),
    ("cgroup/dev", Legacy, T::CgroupDevice),
    ("struct_ops", Plus, T::StructOps),
    ("struct_ops.s", Plus, T::StructOps),
    ("sk_lookup", Legacy, T::SkLookup),
    ("netfilter", Exact, T::Netfilter),
];

/// The program type a program in section `name` has, by the loaders' conventions: libbpf's
/// `SEC()` names (`xdp`, `tc/ingress`, `kprobe/do_unlinkat`, `cgroup/connect4`, ...), the
/// prefixes libbpf before 1.0 accepted (`socket1` and `xdp_drop` as well as `socket` and `xdp`),
/// and iproute2's `classifier`, `action` and tail-call sections `N/M` (scheduler classifiers;
/// [`ElfObject::programs`](crate::ElfObject::programs) gives them the type of the object's other
/// programs when they agree). `None` for any other name: the host's default applies.
///
/// ```
/// use oxbpf_core::program_type::ProgramType;
/// use oxbpf_loader::program_type_of_section as of;
/// assert_eq!(of("xdp"), Some(ProgramType::Xdp));
/// assert_eq!(of("kprobe/do_unlinkat"), Some(ProgramType::Kprobe));
/// assert_eq!(of("socket1"), Some(ProgramType::SocketFilter));
/// assert_eq!(of("2/1"), Some(ProgramType::SchedCls));
/// assert_eq!(of("from-container"), None);
/// ```
pub fn program_type_of_section(name: &str) -> Option<ProgramType> {
    let exact = SECTIONS.iter().find(|(sec, how, _)| {
        name == *sec || (*how == Plus && name.strip_prefix(sec).is_some_and(|r| r.starts_with('/')))
    });
    if let Some(&(_, _, t)) = exact {
        return Some(t);
    }
    if tail_call_section(name).is_some() {
        return Some(T::SchedCls);
    }
    SECTIONS
        .iter()
        .find(|(sec, how, _)| *how == Legacy && name.starts_with(sec))
        .map(|&(_, _, t)| t)
}

/// For iproute2's tail-call section `N/M` (`__section_tail(N, M)`): the id `N` of the program
/// array and the slot `M` of it the section's program fills. Both are C integers as `sscanf`'s
/// `%i` reads them: decimal, `0x` hexadecimal or `0` octal.
pub(crate) fn tail_call_section(name: &str) -> Option<(u32, u32)> {
    let (map, key) = name.split_once('/')?;
    Some((c_integer(map)?, c_integer(key)?))
}

/// A non-negative C integer literal: decimal, `0x`/`0X` hexadecimal or `0` octal.
fn c_integer(s: &str) -> Option<u32> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libbpf_names() {
        let cases = [
            ("socket", T::SocketFilter),
            ("sk_reuseport", T::SkReuseport),
            ("sk_reuseport/migrate", T::SkReuseport),
            ("kprobe/do_unlinkat", T::Kprobe),
            ("kprobe", T::Kprobe),
            ("kretprobe/do_unlinkat", T::Kprobe),
            ("uprobe//proc/self/exe:uprobed_add", T::Kprobe),
            ("uretprobe/libc.so.6:malloc", T::Kprobe),
            ("uprobe.s/libc.so.6:malloc", T::Kprobe),
            ("kprobe.multi/tcp_*", T::Kprobe),
            ("ksyscall/write", T::Kprobe),
            ("kretsyscall/write", T::Kprobe),
            ("usdt/libc.so.6:libc:setjmp", T::Kprobe),
            ("usdt", T::Kprobe),
            ("tc", T::SchedCls),
            ("tc/ingress", T::SchedCls),
            ("tc/egress", T::SchedCls),
            ("tcx/ingress", T::SchedCls),
            ("tcx/egress", T::SchedCls),
            ("classifier", T::SchedCls),
            ("action", T::SchedAct),
            ("netkit/primary", T::SchedCls),
            ("tracepoint/syscalls/sys_enter_write", T::Tracepoint),
            ("tp/sched/sched_switch", T::Tracepoint),
            ("raw_tracepoint/sched_switch", T::RawTracepoint),
            ("raw_tp/sys_enter", T::RawTracepoint),
            (
                "raw_tracepoint.w/bpf_testmod_test_writable_bare",
                T::RawTracepointWritable,
            ),
            (
                "raw_tp.w/bpf_testmod_test_writable_bare",
                T::RawTracepointWritable,
            ),
            ("tp_btf/sched_switch", T::Tracing),
            ("fentry/do_unlinkat", T::Tracing),
            ("fexit/do_unlinkat", T::Tracing),
            ("fmod_ret/security_file_open", T::Tracing),
            ("fentry.s/do_unlinkat", T::Tracing),
            ("iter/task", T::Tracing),
            ("iter.s/task_file", T::Tracing),
            ("freplace/xdp_pass", T::Ext),
            ("lsm/file_open", T::Lsm),
            ("lsm.s/bprm_committed_creds", T::Lsm),
            ("lsm_cgroup/socket_bind", T::Lsm),
            ("syscall", T::Syscall),
            ("xdp", T::Xdp),
            ("xdp.frags", T::Xdp),
            ("xdp/devmap", T::Xdp),
            ("xdp.frags/cpumap", T::Xdp),
            ("perf_event", T::PerfEvent),
            ("lwt_in", T::LwtIn),
            ("lwt_out", T::LwtOut),
            ("lwt_xmit", T::LwtXmit),
            ("lwt_seg6local", T::LwtSeg6local),
            ("sockops", T::SockOps),
            ("sk_skb", T::SkSkb),
            ("sk_skb/stream_parser", T::SkSkb),
            ("sk_skb/stream_verdict", T::SkSkb),
            ("sk_msg", T::SkMsg),
            ("lirc_mode2", T::LircMode2),
            ("flow_dissector", T::FlowDissector),
            ("cgroup/skb", T::CgroupSkb),
            ("cgroup_skb/ingress", T::CgroupSkb),
            ("cgroup_skb/egress", T::CgroupSkb),
            ("cgroup/sock", T::CgroupSock),
            ("cgroup/sock_create", T::CgroupSock),
            ("cgroup/sock_release", T::CgroupSock),
            ("cgroup/post_bind4", T::CgroupSock),
            ("cgroup/post_bind6", T::CgroupSock),
            ("cgroup/bind4", T::CgroupSockAddr),
            ("cgroup/bind6", T::CgroupSockAddr),
            ("cgroup/connect4", T::CgroupSockAddr),
            ("cgroup/connect6", T::CgroupSockAddr),
            ("cgroup/connect_unix", T::CgroupSockAddr),
            ("cgroup/sendmsg4", T::CgroupSockAddr),
            ("cgroup/sendmsg6", T::CgroupSockAddr),
            ("cgroup/recvmsg4", T::CgroupSockAddr),
            ("cgroup/recvmsg6", T::CgroupSockAddr),
            ("cgroup/getpeername4", T::CgroupSockAddr),
            ("cgroup/getpeername6", T::CgroupSockAddr),
            ("cgroup/getsockname4", T::CgroupSockAddr),
            ("cgroup/getsockname_unix", T::CgroupSockAddr),
            ("cgroup/dev", T::CgroupDevice),
            ("cgroup/sysctl", T::CgroupSysctl),
            ("cgroup/getsockopt", T::CgroupSockopt),
            ("cgroup/setsockopt", T::CgroupSockopt),
            ("struct_ops", T::StructOps),
            ("struct_ops/dctcp_init", T::StructOps),
            ("struct_ops.s/test_1", T::StructOps),
            ("sk_lookup", T::SkLookup),
            ("netfilter", T::Netfilter),
        ];
        for (name, t) in cases {
            assert_eq!(program_type_of_section(name), Some(t), "{name}");
        }
    }

    #[test]
    fn older_prefixes_kernel_samples_and_iproute2() {
        let cases = [
            // Kernel samples and libbpf before 1.0: the type's name as a prefix.
            ("socket1", T::SocketFilter),
            ("socket/filter", T::SocketFilter),
            ("xdp_pass", T::Xdp),
            ("xdp1", T::Xdp),
            ("xdp/redirect", T::Xdp),
            ("xdp_devmap/xdp_redirect_map", T::Xdp),
            ("classifier/ingress", T::SchedCls),
            ("action-mirred", T::SchedAct),
            ("sockops_v4", T::SockOps),
            ("sk_lookup/dispatch", T::SkLookup),
            ("cgroup/sock_create_v4", T::CgroupSock),
            ("lwt_xmit_encap", T::LwtXmit),
            // iproute2's tail calls: program array id / slot.
            ("1/0", T::SchedCls),
            ("42/7", T::SchedCls),
            ("0x2/010", T::SchedCls),
        ];
        for (name, t) in cases {
            assert_eq!(program_type_of_section(name), Some(t), "{name}");
        }
    }

    #[test]
    fn unknown_names_are_none() {
        for name in [
            "",
            "prog",
            ".text",
            "license",
            "maps",
            "from-container",
            "to-netdev",
            "tcp_fast",
            "kprobes",
            "tpx/foo",
            "tracepoints/x",
            "tc/other",
            "1/",
            "/1",
            "1/2/3",
            "a/b",
            "1/x",
            "0x/1",
            "08/1",
            "syscalls",
            "netfilter/x",
            "fentryx/y",
        ] {
            assert_eq!(program_type_of_section(name), None, "{name:?}");
        }
    }

    #[test]
    fn tail_call_sections_read_c_integers() {
        assert_eq!(tail_call_section("2/1"), Some((2, 1)));
        assert_eq!(tail_call_section("0x10/0X1f"), Some((16, 31)));
        assert_eq!(tail_call_section("010/0"), Some((8, 0)));
        assert_eq!(tail_call_section("4294967295/1"), Some((u32::MAX, 1)));
        assert_eq!(tail_call_section("4294967296/1"), None);
        assert_eq!(tail_call_section("-1/1"), None);
        assert_eq!(tail_call_section("+1/1"), None);
        assert_eq!(tail_call_section("classifier"), None);
    }
}
