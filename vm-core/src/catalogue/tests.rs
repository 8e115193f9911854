//! Checks of the catalogue against Linux's own rules and a sample of its facts.

use super::*;

#[test]
fn ids_run_from_1_to_211_in_order() {
    assert_eq!(HELPERS.len(), 211);
    for (i, h) in HELPERS.iter().enumerate() {
        assert_eq!(h.id as usize, i + 1, "{}", h.name);
        assert_eq!(helper(h.id), Some(h));
        assert_eq!(by_name(h.name), Some(h));
        assert!(!h.name.is_empty() && !h.name.starts_with("bpf_"));
    }
    let mut names: Vec<_> = HELPERS.iter().map(|h| h.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), HELPERS.len(), "names are unique");
    assert_eq!(helper(0), None);
    assert_eq!(helper(212), None);
    assert_eq!(by_name("no_such_helper"), None);
    assert_eq!(by_name("bpf_loop").map(|h| h.id), Some(181));
}

#[test]
fn ids_and_names_match_the_uapi() {
    let known = [
        (1, "map_lookup_elem"),
        (2, "map_update_elem"),
        (3, "map_delete_elem"),
        (4, "probe_read"),
        (5, "ktime_get_ns"),
        (6, "trace_printk"),
        (12, "tail_call"),
        (14, "get_current_pid_tgid"),
        (23, "redirect"),
        (25, "perf_event_output"),
        (26, "skb_load_bytes"),
        (27, "get_stackid"),
        (28, "csum_diff"),
        (44, "xdp_adjust_head"),
        (45, "probe_read_str"),
        (51, "redirect_map"),
        (65, "xdp_adjust_tail"),
        (84, "sk_lookup_tcp"),
        (93, "spin_lock"),
        (112, "probe_read_user"),
        (130, "ringbuf_output"),
        (131, "ringbuf_reserve"),
        (132, "ringbuf_submit"),
        (164, "for_each_map_elem"),
        (165, "snprintf"),
        (181, "loop"),
        (194, "kptr_xchg"),
        (197, "dynptr_from_mem"),
        (208, "ktime_get_tai_ns"),
        (209, "user_ringbuf_drain"),
        (211, "cgrp_storage_delete"),
    ];
    for (id, name) in known {
        assert_eq!(helper(id).map(|h| h.name), Some(name), "id {id}");
    }
}

#[test]
fn prototypes_keep_linux_argument_rules() {
    for h in HELPERS {
        // Undeclared arguments come only after the declared ones.
        let arity = h.arity();
        assert!(!h.args[..arity].contains(&LinuxArg::DontCare), "{}", h.name);
        // check_arg_pair_ok: a sized memory argument is followed by its size, a size follows
        // a sized memory argument, and a fixed-size one has none.
        for (i, arg) in h.args.iter().enumerate() {
            let next_is_size = matches!(h.args.get(i + 1), Some(LinuxArg::ConstSize { .. }));
            match arg {
                LinuxArg::Mem { .. } => assert!(next_is_size, "{} arg {}", h.name, i + 1),
                LinuxArg::ConstSize { .. } => assert!(
                    i > 0 && matches!(h.args[i - 1], LinuxArg::Mem { .. }),
                    "{} arg {}",
                    h.name,
                    i + 1
                ),
                _ => assert!(!next_is_size, "{} arg {}", h.name, i + 1),
            }
        }
        // check_raw_mode_ok: at most one argument the helper fills.
        let raw = h.args.iter().filter(|a| {
            matches!(
                a,
                LinuxArg::Mem { uninit: true, .. } | LinuxArg::FixedMem { uninit: true, .. }
            )
        });
        assert!(raw.count() <= 1, "{}", h.name);
        // Keys and values refer to a map argument before them.
        for (i, arg) in h.args.iter().enumerate() {
            if matches!(
                arg,
                LinuxArg::MapKey
                    | LinuxArg::MapValue
                    | LinuxArg::MapValueOrNull
                    | LinuxArg::MapValueUninit
            ) {
                assert!(h.args[..i].contains(&LinuxArg::ConstMapPtr), "{}", h.name);
            }
        }
        // A returned allocation is sized by a constant argument.
        if matches!(h.ret, LinuxRet::AllocMemOrNull | LinuxRet::DynptrMemOrNull) {
            assert!(
                h.args.contains(&LinuxArg::ConstAllocSizeOrZero),
                "{}",
                h.name
            );
        }
    }
}

#[test]
fn map_arguments_list_their_map_types() {
    for h in HELPERS {
        let takes_map = h.args.contains(&LinuxArg::ConstMapPtr);
        assert_eq!(takes_map, !h.map_types.is_empty(), "{}", h.name);
        assert!(h.map_types.windows(2).all(|w| w[0] < w[1]), "{}", h.name);
        assert!(
            h.map_types.iter().all(|&t| (1..=32).contains(&t)),
            "{}",
            h.name
        );
    }
    let types = |name| by_name(name).unwrap().map_types;
    assert_eq!(types("tail_call"), [3]);
    assert_eq!(types("perf_event_output"), [4]);
    assert_eq!(types("get_stackid"), [7]);
    assert_eq!(types("redirect_map"), [14, 16, 17, 25]);
    assert_eq!(types("ringbuf_reserve"), [27]);
    assert_eq!(types("map_pop_elem"), [22, 23]);
    assert!(by_name("map_lookup_elem").unwrap().accepts_map_type(12));
    assert!(!by_name("map_update_elem").unwrap().accepts_map_type(12));
    assert!(!by_name("map_lookup_elem").unwrap().accepts_map_type(27));
}

#[test]
fn packet_changing_helpers_are_linux_list() {
    // bpf_helper_changes_pkt_data (net/core/filter.c).
    let mut expected = [
        9, 10, 11, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 63, 65, 73, 74, 75, 76, 90, 91, 143,
    ];
    expected.sort_unstable();
    let changing: Vec<u32> = HELPERS
        .iter()
        .filter(|h| h.changes_packet)
        .map(|h| h.id)
        .collect();
    assert_eq!(changing, expected);
    for h in HELPERS.iter().filter(|h| h.changes_packet) {
        // check_helper_call refuses a packet-changing helper whose r1 is not the context.
        assert_eq!(h.args[0], LinuxArg::Ctx { maybe_null: false }, "{}", h.name);
    }
}

#[test]
fn flags_match_linux() {
    let ids = |f: fn(&LinuxHelper) -> bool| -> Vec<u32> {
        HELPERS.iter().filter(|h| f(h)).map(|h| h.id).collect()
    };
    assert_eq!(
        ids(|h| h.pkt_access),
        [
            1, 2, 3, 28, 53, 70, 84, 85, 87, 99, 100, 110, 195, 204, 205, 206, 207
        ]
    );
    assert_eq!(ids(|h| h.acquires), [84, 85, 99, 131, 194]);
    assert_eq!(ids(|h| h.releases.is_some()), [86, 132, 133, 194, 199, 200]);
    for h in HELPERS {
        if let Some(r) = h.releases {
            assert!((1..=5).contains(&r), "{}", h.name);
            let arg = h.args[usize::from(r) - 1];
            assert!(
                matches!(
                    arg,
                    LinuxArg::RingbufMem
                        | LinuxArg::Dynptr(DynptrArg::ReleaseRingbuf)
                        | LinuxArg::BtfIdSockCommon { .. }
                        | LinuxArg::BtfId {
                            maybe_null: true,
                            ..
                        }
                ),
                "{}",
                h.name
            );
        }
    }
    let gpl = |name| by_name(name).unwrap().gpl_only;
    assert!(gpl("probe_read") && gpl("perf_event_output") && gpl("snprintf"));
    assert!(gpl("timer_init") && gpl("fib_lookup") && gpl("tcp_raw_gen_syncookie_ipv4"));
    assert!(!gpl("map_lookup_elem") && !gpl("ringbuf_output") && !gpl("redirect"));
}

#[test]
fn prototypes_spot_checks() {
    use LinuxArg::*;
    let h = |name| by_name(name).unwrap();
    assert_eq!(
        h("tail_call").args[..3],
        [Ctx { maybe_null: false }, ConstMapPtr, Anything]
    );
    assert_eq!(h("tail_call").ret, LinuxRet::Void);
    assert_eq!(h("probe_read").args[2], Anything);
    let size0 = ConstSize { or_zero: true };
    let maybe_null_ro = Mem {
        read_only: true,
        uninit: false,
        maybe_null: true,
    };
    assert_eq!(
        h("csum_diff").args[..4],
        [maybe_null_ro, size0, maybe_null_ro, size0]
    );
    assert_eq!(h("snprintf").args[2..], [ConstStr, maybe_null_ro, size0]);
    let out = Mem {
        read_only: false,
        uninit: true,
        maybe_null: false,
    };
    assert_eq!(h("skb_load_bytes").args[2], out);
    assert_eq!(h("get_current_comm").args[0], out);
    let po = h("perf_event_output").args;
    assert_eq!(po[..3], [Ctx { maybe_null: false }, ConstMapPtr, Anything]);
    assert!(
        matches!(
            po[3],
            Mem {
                read_only: true,
                ..
            }
        ) && po[4] == size0
    );
    assert_eq!(h("ringbuf_reserve").ret, LinuxRet::AllocMemOrNull);
    assert_eq!(h("get_local_storage").ret, LinuxRet::MapValue);
    assert_eq!(h("map_peek_elem").args[1], MapValueUninit);
    assert_eq!(
        h("check_mtu").args[2],
        FixedMem {
            size: 4,
            uninit: true
        }
    );
    assert_eq!(h("skc_to_tcp_sock").ret, LinuxRet::BtfIdOrNull("tcp_sock"));
    assert_eq!(h("trace_printk").arity(), 2);
    assert_eq!(h("l3_csum_replace").arity(), 5);
}

#[test]
fn callers_follow_linux_tables() {
    use ProgramType as T;
    let h = |name| by_name(name).unwrap();
    for t in ProgramType::ALL {
        assert!(h("map_lookup_elem").callable_from(*t));
        assert!(h("ringbuf_output").callable_from(*t));
    }
    assert!(HELPERS.iter().all(|h| h.callers != Callers::NONE));
    assert_eq!(
        h("xdp_adjust_head").callers.iter().collect::<Vec<_>>(),
        [T::Xdp]
    );
    assert!(h("skb_store_bytes").callable_from(T::SchedCls));
    assert!(!h("skb_store_bytes").callable_from(T::Xdp));
    assert!(!h("skb_store_bytes").callable_from(T::SocketFilter));
    assert!(h("skb_load_bytes").callable_from(T::SocketFilter));
    assert!(h("probe_read_kernel").callable_from(T::Kprobe));
    assert!(h("get_stackid").callable_from(T::PerfEvent));
    assert!(!h("get_stackid").callable_from(T::Xdp));
    assert!(h("perf_event_output").callable_from(T::Xdp));
    assert!(!h("perf_event_output").callable_from(T::FlowDissector));
    assert!(h("override_return").callable_from(T::Kprobe));
    assert!(!h("override_return").callable_from(T::Tracepoint));
    assert!(h("sysctl_get_name").callable_from(T::CgroupSysctl));
    assert_eq!(h("sys_bpf").callers, Callers::SYSCALL);
    assert!(h("skc_to_tcp_sock").callable_from(T::Tracing));
    assert!(h("skc_to_tcp_sock").callable_from(T::SchedCls));
    assert_eq!(
        format!("{:?}", Callers::TC),
        r#"{"sched_cls", "sched_act"}"#
    );
    assert_eq!(format!("{:?}", Callers::ALL), "all");
}
