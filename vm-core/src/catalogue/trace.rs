//! Tracing, LSM and syscall helpers: `kernel/trace/bpf_trace.c`, `kernel/bpf/stackmap.c`,
//! `task_iter.c`, `bpf_lsm.c`, `bpf_task_storage.c`, `bpf_inode_storage.c`, and the
//! process-context helpers of `kernel/bpf/helpers.c`.

use super::LinuxHelper;
use super::dsl::*;
use super::helpers;

pub(super) const HELPERS: &[LinuxHelper] = helpers! {
    // Process context. sk_msg also gets the pid and uid ones, the cgroup hooks
    // (cgroup_current_func_proto) the uid and comm ones; Linux 6.10 opened
    // get_current_pid_tgid and get_ns_current_pid_tgid to every program type.
    14 "get_current_pid_tgid"() -> Integer, [TRACE, SK_MSG];
    15 "get_current_uid_gid"() -> Integer, [TRACE, SK_MSG, CGROUP_CURRENT];
    16 "get_current_comm"(UNINIT, SIZE) -> Integer, [TRACE, CGROUP_CURRENT];
    120 "get_ns_current_pid_tgid"(ANY, ANY, UNINIT, SIZE) -> Integer, [TRACE];
    // The base table gives these to CAP_PERFMON loaders of every program type.
    35 "get_current_task"() -> Integer, [ALL], gpl;
    158 "get_current_task_btf"() -> BtfIdTrusted("task_struct"), [ALL], gpl;
    175 "task_pt_regs"(btf("task_struct")) -> BtfId("pt_regs"), [ALL], gpl;

    // Reading and writing memory. probe_read and probe_read_str exist only where user and
    // kernel addresses cannot overlap (CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE); kernel
    // reads are refused under lockdown; probe_write_user needs CAP_SYS_ADMIN.
    4 "probe_read"(UNINIT, SIZE0, ANY) -> Integer, [TRACE], gpl;
    45 "probe_read_str"(UNINIT, SIZE0, ANY) -> Integer, [TRACE], gpl;
    112 "probe_read_user"(UNINIT, SIZE0, ANY) -> Integer, [ALL], gpl;
    113 "probe_read_kernel"(UNINIT, SIZE0, ANY) -> Integer, [ALL], gpl;
    114 "probe_read_user_str"(UNINIT, SIZE0, ANY) -> Integer, [ALL], gpl;
    115 "probe_read_kernel_str"(UNINIT, SIZE0, ANY) -> Integer, [ALL], gpl;
    36 "probe_write_user"(ANY, RO, SIZE) -> Integer, [TRACE], gpl;
    // Sleepable programs only (might_sleep).
    148 "copy_from_user"(UNINIT, SIZE0, ANY) -> Integer, [TRACE];
    191 "copy_from_user_task"(UNINIT, SIZE0, ANY, btf("task_struct"), ANY) -> Integer, [TRACE],
        gpl;

    // Printing. trace_printk declares two arguments; r3 to r5 are its unchecked varargs.
    6 "trace_printk"(RO, SIZE) -> Integer, [ALL], gpl;
    177 "trace_vprintk"(RO, SIZE, RO_OR_NULL, SIZE0) -> Integer, [ALL], gpl;
    // Later kernels mark r1 MEM_WRITE.
    149 "snprintf_btf"(RW, SIZE, RO, SIZE, ANY) -> Integer, [ALL];
    // Iterators only (BPF_TRACE_ITER).
    126 "seq_printf"(btf("seq_file"), RO, SIZE, RO_OR_NULL, SIZE0) -> Integer, [TRACING], gpl;
    127 "seq_write"(btf("seq_file"), RO, SIZE0) -> Integer, [TRACING], gpl;
    150 "seq_printf_btf"(btf("seq_file"), RO, SIZE0, ANY) -> Integer, [TRACING], gpl;

    // Perf events and stacks. perf_event_output is here with its kprobe prototype; the other
    // tables give variants of the same shape (bpf_skb_event_output and bpf_xdp_event_output
    // read the packet too, bpf_event_output_data takes any context).
    22 "perf_event_read"(MAP, ANY) -> Integer, [TRACE], maps(PERF_EVENT_ARRAY), gpl;
    25 "perf_event_output"(CTX, MAP, ANY, RO, SIZE0) -> Integer,
        [TRACE, SOCKET_FILTER, CGROUP_SKB, TC, XDP, LWT, SK_SKB, SOCK_OPS, SK_MSG, CGROUP_SOCK,
         CGROUP_SOCK_ADDR, SK_LOOKUP, CGROUP_DEVICE, CGROUP_SYSCTL, CGROUP_SOCKOPT],
        maps(PERF_EVENT_ARRAY), gpl;
    55 "perf_event_read_value"(MAP, ANY, UNINIT, SIZE) -> Integer, [TRACE],
        maps(PERF_EVENT_ARRAY), gpl;
    56 "perf_prog_read_value"(CTX, UNINIT, SIZE) -> Integer, [PERF_EVENT], gpl;
    // Later kernels mark r2 MEM_WRITE.
    119 "read_branch_records"(CTX, RW_OR_NULL, SIZE0, ANY) -> Integer, [PERF_EVENT], gpl;
    // Linux 6.6 declares no r3 (flags); the helper reads it.
    176 "get_branch_snapshot"(UNINIT, SIZE0) -> Integer, [TRACE], gpl;
    // The perf-event variant of get_stackid is not GPL-only; Linux 6.6's raw-tracepoint
    // variant of get_stack types r2 read-only memory, though the helper writes it.
    27 "get_stackid"(CTX, MAP, ANY) -> Integer, [TRACE], maps(STACK_TRACE), gpl;
    67 "get_stack"(CTX, UNINIT, SIZE0, ANY) -> Integer, [TRACE], gpl;
    141 "get_task_stack"(btf("task_struct"), UNINIT, SIZE0, ANY) -> Integer, [TRACE];

    // Control of the traced code. override_return needs CONFIG_BPF_KPROBE_OVERRIDE.
    58 "override_return"(CTX, ANY) -> Integer, [KPROBE], gpl;
    109 "send_signal"(ANY) -> Integer, [TRACE];
    117 "send_signal_thread"(ANY) -> Integer, [TRACE];
    37 "current_task_under_cgroup"(MAP, ANY) -> Integer, [TRACE], maps(CGROUP_ARRAY);

    // The attach point. get_func_ip: kprobes and trampolines (fentry, fexit, fmod_ret); the
    // kprobe-multi variant is not GPL-only. The function arguments need a trampoline.
    173 "get_func_ip"(CTX) -> Integer, [KPROBE, TRACING], gpl;
    174 "get_attach_cookie"(CTX) -> Integer, [KPROBE, TRACEPOINT, PERF_EVENT, TRACING, LSM];
    183 "get_func_arg"(CTX, ANY, LONG_OUT) -> Integer, [TRACING, LSM];
    184 "get_func_ret"(CTX, LONG_OUT) -> Integer, [TRACING, LSM];
    185 "get_func_arg_cnt"(CTX) -> Integer, [TRACING, LSM];

    // Kernel objects. d_path: iterators, sleepable LSM hooks and a list of traced functions.
    147 "d_path"(btf("path"), RW, SIZE0) -> Integer, [TRACING_PROG];
    180 "find_vma"(btf("task_struct"), ANY, Func, STACK_OR_NULL, ANY) -> Integer, [TRACE];
    156 "task_storage_get"(MAP, btf_or_null("task_struct"), MapValueOrNull, ANY)
        -> MapValueOrNull, [TRACE], maps(TASK_STORAGE);
    157 "task_storage_delete"(MAP, btf_or_null("task_struct")) -> Integer, [TRACE],
        maps(TASK_STORAGE);

    // LSM (kernel/bpf/bpf_lsm.c, bpf_inode_storage.c). The ima hashes: sleepable programs.
    145 "inode_storage_get"(MAP, btf_or_null("inode"), MapValueOrNull, ANY) -> MapValueOrNull,
        [LSM], maps(INODE_STORAGE);
    146 "inode_storage_delete"(MAP, btf_or_null("inode")) -> Integer, [LSM],
        maps(INODE_STORAGE);
    159 "bprm_opts_set"(btf("linux_binprm"), ANY) -> Integer, [LSM];
    161 "ima_inode_hash"(btf("inode"), UNINIT, SIZE) -> Integer, [LSM];
    193 "ima_file_hash"(btf("file"), UNINIT, SIZE) -> Integer, [LSM];
};
