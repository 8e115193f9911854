//! oxbpf's C API: the names and signatures of bpftime's `ebpf-vm.h` (`ebpf_create("jit")`,
//! `ebpf_load`, `ebpf_exec`, `ebpf_compile`, ...) so that a C host written against that header
//! builds unchanged, plus oxbpf's own calls for verification and helper prototypes, maps, the
//! instruction budget and traps. The header is `include/ebpf-vm.h`; every declaration there
//! documents ownership, thread safety and errors.
//!
//! Built as a shared library (`liboxbpf_capi.so`), a static one (`liboxbpf_capi.a`) and an rlib.
//! Every entry point validates its VM handle against the registry of live VMs before using it,
//! accepts NULL for any pointer, and catches a panic (a bug) instead of unwinding into C.
#![expect(
    unsafe_code,
    reason = "the C API: raw pointers from the host, exported unmangled functions"
)]

mod compiled;
mod ffi;
mod handle;
mod load;
mod maps;
mod proto;
mod trap;
mod vm;

pub use compiled::{ebpf_aot_compile, ebpf_compile, ebpf_load_aot_object};
pub use handle::VmState;
pub use load::{
    ebpf_exec, ebpf_load, ebpf_load_elf, ebpf_unload_code, oxbpf_exec_packet, oxbpf_verify,
};
pub use maps::{
    OxbpfMapInfo, oxbpf_map_create, oxbpf_map_delete, oxbpf_map_find, oxbpf_map_info,
    oxbpf_map_lookup, oxbpf_map_next_key, oxbpf_map_update, oxbpf_ringbuf_drain,
};
pub use proto::OxbpfHelperProto;
pub use trap::{OxbpfTrap, oxbpf_last_trap, oxbpf_trap_message};
pub use vm::{
    OxbpfRange, TERMINATION_BUDGET, TERMINATION_PROVEN, ebpf_create, ebpf_destroy,
    ebpf_get_vm_name, ebpf_register, ebpf_set_error_print, ebpf_set_lddw_helpers,
    ebpf_set_pointer_secret, ebpf_set_unwind_function_index, ebpf_toggle_bounds_check,
    ebpf_unregister, oxbpf_allow_pointer_leaks, oxbpf_allow_unknown_helpers, oxbpf_register_helper,
    oxbpf_set_context, oxbpf_set_instruction_budget, oxbpf_set_kconfig, oxbpf_set_map_size,
    oxbpf_set_program_type, oxbpf_set_socket, oxbpf_set_termination, oxbpf_set_verifier_limit,
    oxbpf_toggle_instruction_count, oxbpf_toggle_verify, oxbpf_trap_missing_helpers,
};
