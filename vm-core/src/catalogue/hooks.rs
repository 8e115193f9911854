//! The helpers of program types with tables of their own: cgroup hooks
//! (`kernel/bpf/cgroup.c`), syscall programs (`kernel/bpf/syscall.c`, `btf.c`) and infrared
//! decoders (`drivers/media/rc/bpf-lirc.c`).

use super::LinuxHelper;
use super::dsl::*;
use super::helpers;

pub(super) const HELPERS: &[LinuxHelper] = helpers! {
    // Every cgroup hook (cgroup_common_func_proto), and LSM programs attached to cgroups
    // (BPF_LSM_CGROUP). The return value is not the program's to read or set in the skb,
    // sock_ops, recvmsg, getpeername and getsockname hooks.
    81 "get_local_storage"(MAP, ANY) -> MapValue, [CGROUP_COMMON, LSM], maps(CGROUP_STORAGE);
    186 "get_retval"() -> Integer, [CGROUP_COMMON, LSM];
    187 "set_retval"(ANY) -> Integer, [CGROUP_COMMON, LSM];

    // sysctl hooks.
    101 "sysctl_get_name"(CTX, RW, SIZE, ANY) -> Integer, [CGROUP_SYSCTL];
    102 "sysctl_get_current_value"(CTX, UNINIT, SIZE) -> Integer, [CGROUP_SYSCTL];
    103 "sysctl_get_new_value"(CTX, UNINIT, SIZE) -> Integer, [CGROUP_SYSCTL];
    104 "sysctl_set_new_value"(CTX, RO, SIZE) -> Integer, [CGROUP_SYSCTL];

    // Syscall programs, which fall back on the tracing tables. Linux 6.6 types
    // kallsyms_lookup_name's r1 read-write; later kernels read-only, as the others.
    166 "sys_bpf"(ANY, RO, SIZE) -> Integer, [SYSCALL];
    167 "btf_find_by_name_kind"(RO, SIZE, ANY, ANY) -> Integer, [SYSCALL];
    168 "sys_close"(ANY) -> Integer, [SYSCALL];
    179 "kallsyms_lookup_name"(RO, SIZE0, ANY, LONG_OUT) -> Integer, [SYSCALL];

    // Infrared decoders.
    77 "rc_repeat"(CTX) -> Integer, [LIRC_MODE2], gpl;
    78 "rc_keydown"(CTX, ANY, ANY, ANY) -> Integer, [LIRC_MODE2], gpl;
    92 "rc_pointer_rel"(CTX, ANY, ANY) -> Integer, [LIRC_MODE2], gpl;
};
