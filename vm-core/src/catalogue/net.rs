//! Networking helpers: `net/core/filter.c`, `sock_map.c`, `bpf_sk_storage.c` and
//! `net/ipv4/bpf_tcp_ca.c`.
//!
//! Where `sk_skb` has its own variant (`sk_skb_pull_data`, `sk_skb_change_tail`, ...), it has the
//! prototype of the `tc` one.

use super::LinuxHelper;
use super::dsl::*;
use super::helpers;

pub(super) const HELPERS: &[LinuxHelper] = helpers! {
    // Packet bytes.
    9 "skb_store_bytes"(CTX, ANY, RO, SIZE, ANY) -> Integer, [TC, LWT_XMIT, SK_SKB], changes;
    // flow_dissector and sk_reuseport have variants of the same shape.
    26 "skb_load_bytes"(CTX, ANY, UNINIT, SIZE) -> Integer,
        [SOCKET_FILTER, CGROUP_SKB, TC, SK_SKB, FLOW_DISSECTOR, LWT, SK_REUSEPORT];
    68 "skb_load_bytes_relative"(CTX, ANY, UNINIT, SIZE, ANY) -> Integer,
        [SOCKET_FILTER, CGROUP_SKB, TC, SK_REUSEPORT];
    39 "skb_pull_data"(CTX, ANY) -> Integer, [TC, LWT, SK_SKB], changes;
    189 "xdp_load_bytes"(CTX, ANY, UNINIT, SIZE) -> Integer, [XDP];
    190 "xdp_store_bytes"(CTX, ANY, RO, SIZE) -> Integer, [XDP];
    // BTF tracing gets a variant taking a `struct xdp_buff` (BtfId).
    188 "xdp_get_buff_len"(CTX) -> Integer, [XDP, TRACING_PROG];

    // Checksums.
    10 "l3_csum_replace"(CTX, ANY, ANY, ANY, ANY) -> Integer, [TC, LWT_XMIT], changes;
    11 "l4_csum_replace"(CTX, ANY, ANY, ANY, ANY) -> Integer, [TC, LWT_XMIT], changes;
    28 "csum_diff"(RO_OR_NULL, SIZE0, RO_OR_NULL, SIZE0, ANY) -> Integer, [TC, XDP, LWT], pkt;
    40 "csum_update"(CTX, ANY) -> Integer, [TC, LWT_XMIT];
    135 "csum_level"(CTX, ANY) -> Integer, [TC, LWT_XMIT];

    // Reshaping the packet.
    18 "skb_vlan_push"(CTX, ANY, ANY) -> Integer, [TC], changes;
    19 "skb_vlan_pop"(CTX) -> Integer, [TC], changes;
    31 "skb_change_proto"(CTX, ANY, ANY) -> Integer, [TC], changes;
    32 "skb_change_type"(CTX, ANY) -> Integer, [TC];
    38 "skb_change_tail"(CTX, ANY, ANY) -> Integer, [TC, LWT_XMIT, SK_SKB], changes;
    43 "skb_change_head"(CTX, ANY, ANY) -> Integer, [TC, LWT_XMIT, SK_SKB], changes;
    50 "skb_adjust_room"(CTX, ANY, ANY, ANY) -> Integer, [TC, SK_SKB], changes;
    44 "xdp_adjust_head"(CTX, ANY) -> Integer, [XDP], changes;
    54 "xdp_adjust_meta"(CTX, ANY) -> Integer, [XDP], changes;
    65 "xdp_adjust_tail"(CTX, ANY) -> Integer, [XDP], changes;
    192 "skb_set_tstamp"(CTX, ANY, ANY) -> Integer, [TC];

    // Lightweight tunnels and segment routing.
    73 "lwt_push_encap"(CTX, ANY, RO, SIZE) -> Integer, [LWT_IN, LWT_XMIT], changes;
    74 "lwt_seg6_store_bytes"(CTX, ANY, RO, SIZE) -> Integer, [LWT_SEG6LOCAL], changes;
    75 "lwt_seg6_adjust_srh"(CTX, ANY, ANY) -> Integer, [LWT_SEG6LOCAL], changes;
    76 "lwt_seg6_action"(CTX, ANY, RO, SIZE) -> Integer, [LWT_SEG6LOCAL], changes;

    // Tunnel metadata and xfrm.
    20 "skb_get_tunnel_key"(CTX, UNINIT, SIZE, ANY) -> Integer, [TC, LWT_XMIT];
    21 "skb_set_tunnel_key"(CTX, RO, SIZE, ANY) -> Integer, [TC, LWT_XMIT];
    29 "skb_get_tunnel_opt"(CTX, UNINIT, SIZE) -> Integer, [TC, LWT_XMIT];
    30 "skb_set_tunnel_opt"(CTX, RO, SIZE) -> Integer, [TC, LWT_XMIT];
    66 "skb_get_xfrm_state"(CTX, ANY, UNINIT, SIZE, ANY) -> Integer, [TC];

    // Redirection. XDP's bpf_xdp_redirect has redirect's prototype.
    13 "clone_redirect"(CTX, ANY, ANY) -> Integer, [TC, LWT_XMIT], changes;
    23 "redirect"(ANY, ANY) -> Integer, [TC, XDP, LWT_XMIT];
    51 "redirect_map"(MAP, ANY, ANY) -> Integer, [XDP], maps(REDIRECT);
    152 "redirect_neigh"(ANY, RO_OR_NULL, SIZE0, ANY) -> Integer, [TC];
    155 "redirect_peer"(ANY, ANY) -> Integer, [TC];
    52 "sk_redirect_map"(CTX, MAP, ANY, ANY) -> Integer, [SK_SKB], maps(SOCKMAP);
    72 "sk_redirect_hash"(CTX, MAP, KEY, ANY) -> Integer, [SK_SKB], maps(SOCKHASH);
    60 "msg_redirect_map"(CTX, MAP, ANY, ANY) -> Integer, [SK_MSG], maps(SOCKMAP);
    71 "msg_redirect_hash"(CTX, MAP, KEY, ANY) -> Integer, [SK_MSG], maps(SOCKHASH);
    82 "sk_select_reuseport"(CTX, MAP, KEY, ANY) -> Integer, [SK_REUSEPORT], maps(REUSEPORT);

    // Routing.
    24 "get_route_realm"(CTX) -> Integer, [TC, LWT];
    69 "fib_lookup"(CTX, RW, SIZE, ANY) -> Integer, [TC, XDP], gpl;
    163 "check_mtu"(CTX, ANY, INT_OUT, ANY, ANY) -> Integer, [TC, XDP], gpl;

    // The skb's hash, cgroup and owner. sk_msg and the cgroup hooks get the `_curr` variant of
    // get_cgroup_classid, which declares no argument.
    17 "get_cgroup_classid"(CTX) -> Integer, [TC, LWT, SK_MSG, CGROUP_CURRENT];
    151 "skb_cgroup_classid"(CTX) -> Integer, [TC];
    33 "skb_under_cgroup"(CTX, MAP, ANY) -> Integer, [TC, LWT], maps(CGROUP_ARRAY);
    79 "skb_cgroup_id"(CTX) -> Integer, [TC, CGROUP_SKB];
    83 "skb_ancestor_cgroup_id"(CTX, ANY) -> Integer, [TC, CGROUP_SKB];
    34 "get_hash_recalc"(CTX) -> Integer, [TC, LWT];
    41 "set_hash_invalid"(CTX) -> Integer, [TC, LWT_XMIT];
    48 "set_hash"(CTX, ANY) -> Integer, [TC];
    97 "skb_ecn_set_ce"(CTX) -> Integer, [CGROUP_SKB, TC];
    // sk_reuseport and BTF tracing get bpf_get_socket_ptr_cookie, whose r1 is a socket or 0
    // (BtfIdSockCommon, maybe null).
    46 "get_socket_cookie"(CTX) -> Integer,
        [SOCKET_FILTER, CGROUP_SKB, TC, SK_SKB, CGROUP_SOCK, CGROUP_SOCK_ADDR, SOCK_OPS,
         SK_REUSEPORT, TRACING_PROG];
    47 "get_socket_uid"(CTX) -> Integer, [SOCKET_FILTER, CGROUP_SKB, TC, SK_SKB];
    122 "get_netns_cookie"(CTX_OR_NULL) -> Integer,
        [CGROUP_SOCK, CGROUP_SOCK_ADDR, SOCK_OPS, SK_MSG, CGROUP_SOCKOPT];
    160 "ktime_get_coarse_ns"() -> Integer, [SK_BASE, CGROUP_SOCK, SK_REUSEPORT, CGROUP_SYSCTL];

    // Socket lookups. The cgroup sock_addr variants are not pkt_access.
    84 "sk_lookup_tcp"(CTX, RO, SIZE, ANY, ANY) -> SocketOrNull,
        [CGROUP_SKB, TC, XDP, SK_SKB, CGROUP_SOCK_ADDR], pkt, acquire;
    85 "sk_lookup_udp"(CTX, RO, SIZE, ANY, ANY) -> SocketOrNull,
        [CGROUP_SKB, TC, XDP, SK_SKB, CGROUP_SOCK_ADDR], pkt, acquire;
    99 "skc_lookup_tcp"(CTX, RO, SIZE, ANY, ANY) -> SockCommonOrNull,
        [CGROUP_SKB, TC, XDP, SK_SKB, CGROUP_SOCK_ADDR], pkt, acquire;
    86 "sk_release"(BTF_SOCK) -> Integer,
        [CGROUP_SKB, TC, XDP, SK_SKB, CGROUP_SOCK_ADDR, SK_LOOKUP], release(1);
    // sk_lookup's variant takes a socket or 0 in r2 (Socket, maybe null).
    124 "sk_assign"(CTX, BTF_SOCK, ANY) -> Integer, [TC, SK_LOOKUP];

    // Socket pointers.
    95 "sk_fullsock"(SockCommon) -> SocketOrNull, [CGROUP_SKB, TC];
    96 "tcp_sock"(SockCommon) -> TcpSockOrNull, [CGROUP_SKB, TC, SOCK_OPS, CGROUP_SOCKOPT];
    98 "get_listener_sock"(SockCommon) -> SocketOrNull, [CGROUP_SKB, TC];
    128 "sk_cgroup_id"(BTF_SOCK) -> Integer, [CGROUP_SKB];
    129 "sk_ancestor_cgroup_id"(BTF_SOCK, ANY) -> Integer, [CGROUP_SKB];
    // Casts: networking programs need CAP_PERFMON for them.
    136 "skc_to_tcp6_sock"(BTF_SOCK) -> BtfIdOrNull("tcp6_sock"), [SK_BASE, TRACING_PROG];
    137 "skc_to_tcp_sock"(BTF_SOCK) -> BtfIdOrNull("tcp_sock"), [SK_BASE, TRACING_PROG];
    138 "skc_to_tcp_timewait_sock"(BTF_SOCK) -> BtfIdOrNull("tcp_timewait_sock"),
        [SK_BASE, TRACING_PROG];
    139 "skc_to_tcp_request_sock"(BTF_SOCK) -> BtfIdOrNull("tcp_request_sock"),
        [SK_BASE, TRACING_PROG];
    140 "skc_to_udp6_sock"(BTF_SOCK) -> BtfIdOrNull("udp6_sock"), [SK_BASE, TRACING_PROG];
    178 "skc_to_unix_sock"(BTF_SOCK) -> BtfIdOrNull("unix_sock"), [SK_BASE, TRACING_PROG];
    196 "skc_to_mptcp_sock"(SockCommon) -> BtfIdOrNull("mptcp_sock"), [SK_BASE, TRACING_PROG];
    162 "sock_from_file"(btf("file")) -> BtfIdOrNull("socket"), [TRACING_PROG];

    // Socket options. Sockopt hooks, struct_ops and LSM cgroup hooks get bpf_sk_setsockopt and
    // bpf_sk_getsockopt, whose r1 is a socket (BtfIdSockCommon), not the context; sock_addr
    // hands them to some attach types only, sockopt hooks to setsockopt ones.
    49 "setsockopt"(CTX, ANY, ANY, RO, SIZE) -> Integer,
        [SOCK_OPS, CGROUP_SOCK_ADDR, CGROUP_SOCKOPT, STRUCT_OPS, LSM];
    57 "getsockopt"(CTX, ANY, ANY, UNINIT, SIZE) -> Integer,
        [SOCK_OPS, CGROUP_SOCK_ADDR, CGROUP_SOCKOPT, STRUCT_OPS, LSM];
    // cgroup sock_addr: connect hooks only.
    64 "bind"(CTX, RO, SIZE) -> Integer, [CGROUP_SOCK_ADDR];

    // sock_ops.
    59 "sock_ops_cb_flags_set"(CTX, ANY) -> Integer, [SOCK_OPS];
    53 "sock_map_update"(CTX, MAP, KEY, ANY) -> Integer, [SOCK_OPS], maps(SOCKMAP), pkt;
    70 "sock_hash_update"(CTX, MAP, KEY, ANY) -> Integer, [SOCK_OPS], maps(SOCKHASH), pkt;
    142 "load_hdr_opt"(CTX, RW, SIZE, ANY) -> Integer, [SOCK_OPS];
    143 "store_hdr_opt"(CTX, RO, SIZE, ANY) -> Integer, [SOCK_OPS], changes;
    144 "reserve_hdr_opt"(CTX, ANY, ANY) -> Integer, [SOCK_OPS];

    // sk_msg.
    61 "msg_apply_bytes"(CTX, ANY) -> Integer, [SK_MSG];
    62 "msg_cork_bytes"(CTX, ANY) -> Integer, [SK_MSG];
    63 "msg_pull_data"(CTX, ANY, ANY, ANY) -> Integer, [SK_MSG], changes;
    90 "msg_push_data"(CTX, ANY, ANY, ANY) -> Integer, [SK_MSG], changes;
    91 "msg_pop_data"(CTX, ANY, ANY, ANY) -> Integer, [SK_MSG], changes;

    // Socket local storage. cgroup sock programs get a get variant whose r2 is the context
    // (a socket); BTF tracing one whose r2 is a `struct sock_common` (BtfId).
    107 "sk_storage_get"(MAP, BTF_SOCK, MapValueOrNull, ANY) -> MapValueOrNull,
        [CGROUP_SKB, TC, SOCK_OPS, SK_MSG, CGROUP_SOCK, CGROUP_SOCK_ADDR, CGROUP_SOCKOPT,
         STRUCT_OPS, LSM, TRACING_PROG],
        maps(SK_STORAGE);
    108 "sk_storage_delete"(MAP, BTF_SOCK) -> Integer,
        [CGROUP_SKB, TC, SOCK_OPS, SK_MSG, CGROUP_SOCK_ADDR, CGROUP_SOCKOPT, STRUCT_OPS, LSM,
         TRACING_PROG],
        maps(SK_STORAGE);

    // SYN cookies.
    100 "tcp_check_syncookie"(BTF_SOCK, RO, SIZE, RO, SIZE) -> Integer, [TC, XDP], gpl, pkt;
    110 "tcp_gen_syncookie"(BTF_SOCK, RO, SIZE, RO, SIZE) -> Integer, [TC, XDP], gpl, pkt;
    // r1 is a `struct iphdr` (20 bytes) or `struct ipv6hdr` (40), r2 of the check ones a
    // `struct tcphdr` (20).
    204 "tcp_raw_gen_syncookie_ipv4"(fixed(20), RW, SIZE0) -> Integer, [TC, XDP], gpl, pkt;
    205 "tcp_raw_gen_syncookie_ipv6"(fixed(40), RW, SIZE0) -> Integer, [TC, XDP], gpl, pkt;
    206 "tcp_raw_check_syncookie_ipv4"(fixed(20), fixed(20)) -> Integer, [TC, XDP], gpl, pkt;
    207 "tcp_raw_check_syncookie_ipv6"(fixed(40), fixed(20)) -> Integer, [TC, XDP], gpl, pkt;

    // Output from BTF tracing, with the packet's bytes.
    111 "skb_output"(btf("sk_buff"), MAP, ANY, RO, SIZE0) -> Integer, [TRACING_PROG],
        maps(PERF_EVENT_ARRAY), gpl;
    121 "xdp_output"(btf("xdp_buff"), MAP, ANY, RO, SIZE0) -> Integer, [TRACING_PROG],
        maps(PERF_EVENT_ARRAY), gpl;

    // TCP congestion control in struct_ops (net/ipv4/bpf_tcp_ca.c).
    116 "tcp_send_ack"(btf("tcp_sock"), ANY) -> Integer, [STRUCT_OPS];
};
