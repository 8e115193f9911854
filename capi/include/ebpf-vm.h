/*
 * ebpf-vm.h: oxbpf's C API.
 *
 * The names and signatures of bpftime's VM header (ebpf_create(name), ebpf_load, ebpf_exec,
 * ebpf_compile, ...), so that a C host written against it builds unchanged, plus oxbpf's own
 * calls (prefixed oxbpf_) for verification and helper prototypes, maps, the instruction budget
 * and traps.
 *
 * Link with liboxbpf_capi (shared: -loxbpf_capi; static: liboxbpf_capi.a -lpthread -ldl -lm).
 *
 * Conventions, for every function below:
 *  - Errors: int functions return 0 (or a count) on success and a negative value on failure:
 *    -1, or for map operations -errno (-ENOENT, -EEXIST, -E2BIG, -EINVAL, -ENOMEM, -ENOSPC).
 *    Functions returning pointers return NULL on failure.
 *  - NULL and bad handles: every function accepts NULL for any pointer argument, and a VM
 *    pointer that ebpf_create did not return (or that was destroyed), and fails with its error
 *    return instead of crashing. Pointers to memory (code, keys, values) must point to at least
 *    the number of bytes the call says.
 *  - Error messages: where a function takes `char **errmsg`, on failure it stores a
 *    NUL-terminated message there (if errmsg is not NULL), which the caller releases with
 *    free(); on success it stores NULL.
 *  - Threads: a VM may be shared between threads. ebpf_exec, compiled functions, oxbpf_last_trap
 *    and the map operations may run concurrently with each other; calls that change the VM
 *    (create, register, load, unload, settings, destroy) are serialised with everything else on
 *    that VM by an internal lock. A compiled function (ebpf_jit_fn) stays valid until the code
 *    is unloaded or replaced or the VM destroyed; calling it after that is undefined.
 */

#ifndef OXBPF_EBPF_VM_H
#define OXBPF_EBPF_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Instructions                                                                              */
/* ---------------------------------------------------------------------------------------- */

/** One 8-byte eBPF instruction slot, in the byte order of this machine (RFC 9669 §3). */
struct ebpf_inst {
    uint8_t opcode;  /**< operation */
    uint8_t dst : 4; /**< destination register */
    uint8_t src : 4; /**< source register (for lddw: what the immediate means) */
    int16_t offset;  /**< signed offset (memory, jumps) */
    int32_t imm;     /**< signed immediate */
};

/** Bytes of stack per eBPF call frame. */
#define EBPF_STACK_SIZE 512
/** Most instruction slots a program may have. */
#define EBPF_MAX_INSTS 1000000

/* Instruction classes, sources, sizes and modes (RFC 9669). */
#define EBPF_CLS_MASK      0x07
#define EBPF_ALU_OP_MASK   0xf0
#define EBPF_CLS_LD        0x00
#define EBPF_CLS_LDX       0x01
#define EBPF_CLS_ST        0x02
#define EBPF_CLS_STX       0x03
#define EBPF_CLS_ALU       0x04
#define EBPF_CLS_JMP       0x05
#define EBPF_CLS_JMP32     0x06
#define EBPF_CLS_ALU64     0x07
#define EBPF_SRC_IMM       0x00
#define EBPF_SRC_REG       0x08
#define EBPF_SIZE_W        0x00
#define EBPF_SIZE_H        0x08
#define EBPF_SIZE_B        0x10
#define EBPF_SIZE_DW       0x18
#define EBPF_MODE_IMM      0x00
#define EBPF_MODE_ABS      0x20
#define EBPF_MODE_IND      0x40
#define EBPF_MODE_MEM      0x60
#define EBPF_MODE_ATOMIC   0xc0

/* Opcodes. */
#define EBPF_OP_ADD_IMM          0x04
#define EBPF_OP_ADD_REG          0x0c
#define EBPF_OP_SUB_IMM          0x14
#define EBPF_OP_SUB_REG          0x1c
#define EBPF_OP_MUL_IMM          0x24
#define EBPF_OP_MUL_REG          0x2c
#define EBPF_OP_DIV_IMM          0x34
#define EBPF_OP_DIV_REG          0x3c
#define EBPF_OP_OR_IMM           0x44
#define EBPF_OP_OR_REG           0x4c
#define EBPF_OP_AND_IMM          0x54
#define EBPF_OP_AND_REG          0x5c
#define EBPF_OP_LSH_IMM          0x64
#define EBPF_OP_LSH_REG          0x6c
#define EBPF_OP_RSH_IMM          0x74
#define EBPF_OP_RSH_REG          0x7c
#define EBPF_OP_MOD_IMM          0x94
#define EBPF_OP_MOD_REG          0x9c
#define EBPF_OP_XOR_IMM          0xa4
#define EBPF_OP_XOR_REG          0xac
#define EBPF_OP_MOV_IMM          0xb4
#define EBPF_OP_MOV_REG          0xbc
#define EBPF_OP_ARSH_IMM         0xc4
#define EBPF_OP_ARSH_REG         0xcc
#define EBPF_OP_NEG              0x84
#define EBPF_OP_ADD64_IMM        0x07
#define EBPF_OP_ADD64_REG        0x0f
#define EBPF_OP_SUB64_IMM        0x17
#define EBPF_OP_SUB64_REG        0x1f
#define EBPF_OP_MUL64_IMM        0x27
#define EBPF_OP_MUL64_REG        0x2f
#define EBPF_OP_DIV64_IMM        0x37
#define EBPF_OP_DIV64_REG        0x3f
#define EBPF_OP_OR64_IMM         0x47
#define EBPF_OP_OR64_REG         0x4f
#define EBPF_OP_AND64_IMM        0x57
#define EBPF_OP_AND64_REG        0x5f
#define EBPF_OP_LSH64_IMM        0x67
#define EBPF_OP_LSH64_REG        0x6f
#define EBPF_OP_RSH64_IMM        0x77
#define EBPF_OP_RSH64_REG        0x7f
#define EBPF_OP_MOD64_IMM        0x97
#define EBPF_OP_MOD64_REG        0x9f
#define EBPF_OP_XOR64_IMM        0xa7
#define EBPF_OP_XOR64_REG        0xaf
#define EBPF_OP_MOV64_IMM        0xb7
#define EBPF_OP_MOV64_REG        0xbf
#define EBPF_OP_ARSH64_IMM       0xc7
#define EBPF_OP_ARSH64_REG       0xcf
#define EBPF_OP_NEG64            0x87
#define EBPF_OP_LE               0xd4
#define EBPF_OP_BE               0xdc
#define EBPF_OP_LDXW             0x61
#define EBPF_OP_LDXH             0x69
#define EBPF_OP_LDXB             0x71
#define EBPF_OP_LDXDW            0x79
#define EBPF_OP_STW              0x62
#define EBPF_OP_STH              0x6a
#define EBPF_OP_STB              0x72
#define EBPF_OP_STDW             0x7a
#define EBPF_OP_STXW             0x63
#define EBPF_OP_STXH             0x6b
#define EBPF_OP_STXB             0x73
#define EBPF_OP_STXDW            0x7b
#define EBPF_OP_LDDW             0x18
#define EBPF_OP_LDABSW           0x20
#define EBPF_OP_LDABSH           0x28
#define EBPF_OP_LDABSB           0x30
#define EBPF_OP_LDINDW           0x40
#define EBPF_OP_LDINDH           0x48
#define EBPF_OP_LDINDB           0x50
#define EBPF_OP_ATOMIC32_STORE   0xc3
#define EBPF_OP_ATOMIC_STORE     0xdb
#define EBPF_OP_JA               0x05
#define EBPF_OP_JEQ_IMM          0x15
#define EBPF_OP_JEQ_REG          0x1d
#define EBPF_OP_JGT_IMM          0x25
#define EBPF_OP_JGT_REG          0x2d
#define EBPF_OP_JGE_IMM          0x35
#define EBPF_OP_JGE_REG          0x3d
#define EBPF_OP_JSET_IMM         0x45
#define EBPF_OP_JSET_REG         0x4d
#define EBPF_OP_JNE_IMM          0x55
#define EBPF_OP_JNE_REG          0x5d
#define EBPF_OP_JSGT_IMM         0x65
#define EBPF_OP_JSGT_REG         0x6d
#define EBPF_OP_JSGE_IMM         0x75
#define EBPF_OP_JSGE_REG         0x7d
#define EBPF_OP_JLT_IMM          0xa5
#define EBPF_OP_JLT_REG          0xad
#define EBPF_OP_JLE_IMM          0xb5
#define EBPF_OP_JLE_REG          0xbd
#define EBPF_OP_JSLT_IMM         0xc5
#define EBPF_OP_JSLT_REG         0xcd
#define EBPF_OP_JSLE_IMM         0xd5
#define EBPF_OP_JSLE_REG         0xdd
#define EBPF_OP_JA32             0x06
#define EBPF_OP_JEQ32_IMM        0x16
#define EBPF_OP_JEQ32_REG        0x1e
#define EBPF_OP_JGT32_IMM        0x26
#define EBPF_OP_JGT32_REG        0x2e
#define EBPF_OP_JGE32_IMM        0x36
#define EBPF_OP_JGE32_REG        0x3e
#define EBPF_OP_JSET32_IMM       0x46
#define EBPF_OP_JSET32_REG       0x4e
#define EBPF_OP_JNE32_IMM        0x56
#define EBPF_OP_JNE32_REG        0x5e
#define EBPF_OP_JSGT32_IMM       0x66
#define EBPF_OP_JSGT32_REG       0x6e
#define EBPF_OP_JSGE32_IMM       0x76
#define EBPF_OP_JSGE32_REG       0x7e
#define EBPF_OP_JLT32_IMM        0xa6
#define EBPF_OP_JLT32_REG        0xae
#define EBPF_OP_JLE32_IMM        0xb6
#define EBPF_OP_JLE32_REG        0xbe
#define EBPF_OP_JSLT32_IMM       0xc6
#define EBPF_OP_JSLT32_REG       0xce
#define EBPF_OP_JSLE32_IMM       0xd6
#define EBPF_OP_JSLE32_REG       0xde
#define EBPF_OP_CALL             0x85
#define EBPF_OP_EXIT             0x95

/* ---------------------------------------------------------------------------------------- */
/* The VM (bpftime's names and signatures)                                                   */
/* ---------------------------------------------------------------------------------------- */

/** A virtual machine: a backend, its settings, registered helpers, maps and at most one loaded
 * program. Opaque. */
struct ebpf_vm;

/** A program as a native function: r1 = mem, r2 = mem_len, returns r0. A run that traps
 * returns UINT64_MAX; oxbpf_last_trap tells why. */
typedef uint64_t (*ebpf_jit_fn)(void *mem, size_t mem_len);

/**
 * Creates a VM on the backend named vm_name: "interp" (the interpreter), "jit" (Cranelift JIT),
 * "aot" (Cranelift ahead-of-time code); "" or NULL for the default, "jit"; "ubpf" and "llvm"
 * are accepted as aliases of "jit". Verification is off, bounds checks are on and executed
 * instructions are not counted, as in bpftime and ubpf; oxbpf_toggle_verify turns the verifier
 * on, oxbpf_set_instruction_budget or oxbpf_toggle_instruction_count counting.
 * Returns NULL for an unknown name. Release with ebpf_destroy.
 */
struct ebpf_vm *ebpf_create(const char *vm_name);

/** Destroys a VM with its code, compiled functions and maps. NULL and bad handles are ignored.
 * The handle is dead at once on every thread; the memory of a VM another thread used last is
 * released when that thread next calls this API, or ends. */
void ebpf_destroy(struct ebpf_vm *vm);

/** The name of the backend running the VM's programs ("interp", "jit" or "aot"), a static
 * string; NULL for a bad handle. */
const char *ebpf_get_vm_name(struct ebpf_vm *vm);

/**
 * Turns run-time memory checks on or off for programs loaded afterwards; returns the previous
 * setting (false for a bad handle). Off, compiled code checks no access (memory safety then
 * rests on the program or on the verifier); the interpreter always checks.
 */
bool ebpf_toggle_bounds_check(struct ebpf_vm *vm, bool enable);

/**
 * Sets the function that reports a run that traps (ebpf_exec or a compiled function), called
 * as error_printf(stderr, "%s\n", message). NULL restores the default, which writes the same
 * line to stderr.
 */
void ebpf_set_error_print(struct ebpf_vm *vm, int (*error_printf)(FILE *stream, const char *format, ...));

/**
 * Registers fn, of type uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t), as
 * helper `index` named `name` (NULL: "helper_<index>"), replacing any helper with that index
 * or name. Programs call it with `call index`; it receives r1-r5 and returns r0. Programs
 * loaded afterwards see it. Returns 0, or -1 (fn NULL, bad handle).
 * The helper has no prototype: with verification on, programs that call it do not load unless
 * oxbpf_allow_unknown_helpers allows it; oxbpf_register_helper declares one.
 */
int ebpf_register(struct ebpf_vm *vm, unsigned int index, const char *name, void *fn);

/** Removes helper `index` for programs loaded afterwards. Returns 0, or -1 if there was none. */
int ebpf_unregister(struct ebpf_vm *vm, unsigned int index);

/**
 * Loads code_len bytes of eBPF bytecode (a multiple of 8): decodes, checks (every rule of the
 * load-time checks, each error naming the instruction), resolves lddw's through the lddw helpers
 * or the VM's maps, verifies when verification is on, and prepares it on the VM's backend.
 * The VM must hold no code (ebpf_unload_code first). Returns 0, or -1 with *errmsg set.
 */
int ebpf_load(struct ebpf_vm *vm, const void *code, uint32_t code_len, char **errmsg);

/**
 * Loads program `program` (a function or section name; NULL for the first) from an eBPF ELF
 * object as clang -target bpf writes it, creating its maps (reachable with oxbpf_map_find until
 * the code is unloaded). Its section gives its program type (SEC("xdp"): an XDP program, run
 * with oxbpf_exec_packet) unless oxbpf_set_program_type chose one; a program whose type's
 * context holds packet pointers is verified whatever oxbpf_toggle_verify says. Returns 0, or -1
 * with *errmsg set.
 */
int ebpf_load_elf(struct ebpf_vm *vm, const void *elf, size_t elf_len, const char *program, char **errmsg);

/**
 * Unloads the VM's code, its compiled functions and the maps of its ELF object. An ebpf_exec
 * already running on another thread finishes on the code it started with; every ebpf_exec
 * after this returns runs what the VM then holds. (ebpf_exec takes no lock: a thread keeps the
 * code it ran last until it runs other code or ends.)
 */
void ebpf_unload_code(struct ebpf_vm *vm);

/**
 * Runs the loaded program on mem_len bytes at mem (r1 = mem, r2 = mem_len; mem may be NULL when
 * mem_len is 0) and stores r0 in *bpf_return_value. Returns 0; -1 if the run trapped (reported
 * through the error print function; oxbpf_last_trap tells why), no code is loaded or an
 * argument is bad.
 *
 * A verified BTF-typed tracing program (SEC("fentry/..."), "fexit/", "tp_btf/", "lsm/",
 * "iter/") gets its arguments as Linux passes them, 64-bit words from mem, and reads through
 * the kernel pointers among them directly: such a read (a probe load) returns the bytes where
 * they lie in mem (or in memory a helper reached), and 0 anywhere else, as Linux does for a
 * pointer that faults. Put the objects the arguments point to in mem after the 13 argument
 * words, and their addresses in the arguments.
 */
int ebpf_exec(const struct ebpf_vm *vm, void *mem, size_t mem_len, uint64_t *bpf_return_value);

/**
 * Runs the loaded program, of a type whose context holds a packet (XDP, or the __sk_buff types:
 * socket filters, traffic control, cgroup skb, lightweight tunnels, sockmap streams), over the
 * *len bytes at packet: the program gets its type's structure (struct xdp_md, struct
 * __sk_buff) with the packet behind it, headroom before it and room after it. Afterwards
 * packet[0..*len] holds the packet as the program left it (moved or resized by its helpers,
 * at most capacity bytes) and *bpf_return_value its verdict (XDP_PASS, TC_ACT_OK, ...).
 * Returns 0; -1 if the run trapped, no code is loaded, the code's type has no packet, or an
 * argument is bad.
 */
int oxbpf_exec_packet(const struct ebpf_vm *vm, uint8_t *packet, size_t *len, size_t capacity,
                      uint64_t *bpf_return_value);

/**
 * The loaded program as a native function (compiled with the JIT when the VM's backend is the
 * interpreter). Valid until the code is unloaded or the VM destroyed. Returns NULL with *errmsg
 * set on failure.
 */
ebpf_jit_fn ebpf_compile(struct ebpf_vm *vm, char **errmsg);

/**
 * Helper `idx` ends the program when it returns 0, the program then returning 0 (as a tail
 * call does). Applies to programs loaded afterwards. Returns 0, or -1 for a bad handle.
 */
int ebpf_set_unwind_function_index(struct ebpf_vm *vm, unsigned int idx);

/**
 * Accepted for compatibility: oxbpf keeps eBPF stacks apart from native return addresses, so
 * there is nothing to mask. Returns 0, or -1 once code is loaded (as bpftime) or for a bad
 * handle.
 */
int ebpf_set_pointer_secret(struct ebpf_vm *vm, uint64_t secret);

/**
 * Sets the functions that resolve lddw's with a non-zero src field at load (Linux's meanings):
 * src 1: map_by_fd(imm); src 2: map_val(map_by_fd(imm)) + next_imm; src 3: var_addr(imm);
 * src 4: code_addr(imm); src 5: map_by_idx(imm); src 6: map_val(map_by_idx(imm)) + next_imm.
 * Any may be NULL: an lddw it would resolve then names one of the VM's own maps by position
 * (src 1, 2, 5, 6; see oxbpf_map_create) or, if there is none, fails to load.
 */
void ebpf_set_lddw_helpers(struct ebpf_vm *vm, uint64_t (*map_by_fd)(uint32_t), uint64_t (*map_by_idx)(uint32_t),
                           uint64_t (*map_val)(uint64_t), uint64_t (*var_addr)(uint32_t),
                           uint64_t (*code_addr)(uint32_t));

/**
 * Compiles the loaded program to a native object file for this machine and stores a malloc'd
 * copy in *object (release with free()) and its size in *object_len. The object loads in any
 * process with ebpf_load_aot_object. Returns 0, or -1 with *errmsg set.
 */
int ebpf_aot_compile(struct ebpf_vm *vm, uint8_t **object, size_t *object_len, char **errmsg);

/**
 * Loads an object written by ebpf_aot_compile into a VM holding no code (its program and
 * settings come from the object, checked against its hash and this machine; the VM's helpers
 * serve its calls) and returns it as a native function; ebpf_exec runs it too. Returns NULL on
 * failure, reported through the error print function.
 */
ebpf_jit_fn ebpf_load_aot_object(struct ebpf_vm *vm, const void *buf, size_t buf_len);

/* ---------------------------------------------------------------------------------------- */
/* oxbpf additions: verification                                                             */
/* ---------------------------------------------------------------------------------------- */

/*
 * What verification guarantees. A program the verifier accepts touches no memory outside its
 * regions (its context, its stack, the values of its maps, memory a helper handed out, each
 * only as that region allows: a map created with OXBPF_F_RDONLY_PROG is not written) on any
 * backend, JIT and AOT included, whatever its input and whatever its helpers return; and it
 * hands no host address to the host (in r0, in context or map memory, as a number given to a
 * helper) unless oxbpf_allow_pointer_leaks allows it. Compiled code drops a run-time check
 * only where that proof covers the access.
 *
 * Helper prototypes. The verifier checks every call against the called helper's prototype
 * (what each of r1-r5 must hold, what r0 holds afterwards) and assumes the helper reads and
 * writes nothing else. The standard helpers that serve maps (map_lookup_elem = 1, ...) come
 * with theirs; a helper the host registers needs one too, declared with oxbpf_register_helper:
 *
 *     // fill(buf, size): writes size bytes at buf, returns a number
 *     static const struct oxbpf_helper_proto fill_proto = {
 *         .args = {OXBPF_ARG_MEM_OUT, OXBPF_ARG_SIZE}, // the other arguments: OXBPF_ARG_UNUSED
 *         .ret = OXBPF_RET_NUMBER,
 *     };
 *     oxbpf_register_helper(vm, 10, "fill", (void *)fill, &fill_proto);
 *
 * A verified program that calls a helper without a prototype (registered with ebpf_register,
 * or with a NULL prototype) does not load, the error naming the helper and its missing
 * prototype, unless oxbpf_allow_unknown_helpers allows it.
 */

/**
 * Turns verification on or off for programs loaded afterwards; returns the previous setting.
 * On, a program the verifier rejects does not load, and compiled code drops the checks of the
 * accesses it proved in bounds. The default context is raw memory: r1 = mem_len bytes at mem.
 */
bool oxbpf_toggle_verify(struct ebpf_vm *vm, bool enable);

/** The verifier proves that every program ends: it walks loops iteration by iteration until
 * their exit conditions decide, as Linux does (the default). */
#define OXBPF_TERMINATION_PROVEN 0
/** The verifier proves loop bodies safe for any number of iterations and leaves ending to the
 * instruction budget (oxbpf_set_instruction_budget), which stops a run that does not end. */
#define OXBPF_TERMINATION_BUDGET 1

/**
 * Chooses how the verifier makes sure programs loaded afterwards end: OXBPF_TERMINATION_PROVEN
 * or OXBPF_TERMINATION_BUDGET. A verified program whose loop the verifier cannot walk to its
 * end within its limit (oxbpf_set_verifier_limit) is refused as "too complex" under the first
 * and may load under the second. Returns 0, or -1 for an unknown policy or a bad handle.
 */
int oxbpf_set_termination(struct ebpf_vm *vm, int termination);

/**
 * Sets how many instructions the verifier may process, over every path, for one program before
 * it refuses it as too complex (0: the default, 1,000,000, Linux's limit). Returns 0, or -1 for
 * a bad handle.
 */
int oxbpf_set_verifier_limit(struct ebpf_vm *vm, uint64_t steps);

/**
 * Gives the `extern ... __kconfig` variable `name` (CONFIG_HZ, LINUX_KERNEL_VERSION, ...) the
 * value `value` in the objects ebpf_load_elf loads afterwards. Without one, LINUX_KERNEL_VERSION
 * is this machine's kernel, a `__weak` variable is 0, and any other makes the load fail naming
 * it. Returns 0, or -1 for a bad handle or name.
 */
int oxbpf_set_kconfig(struct ebpf_vm *vm, const char *name, uint64_t value);

/**
 * Sizes the map `map` of the objects ebpf_load_elf loads afterwards, whatever the object says,
 * as libbpf's bpf_map__set_max_entries and bpf_map__set_value_size do: `max_entries` entries,
 * values of `value_size` bytes (0 for either: the object's). An object without such a map fails
 * to load, naming it. Returns 0, or -1 for a bad handle or name.
 */
int oxbpf_set_map_size(struct ebpf_vm *vm, const char *map, uint32_t max_entries, uint32_t value_size);

/**
 * Gives the programs oxbpf_exec_packet runs afterwards a socket: `sock_len` bytes of a
 * `struct bpf_sock` (at most 80: family, type, protocol, addresses, ports, state, ...) and
 * `tcp_len` bytes of its `struct bpf_tcp_sock` (at most 112; NULL for none), the rest zeros.
 * The context's socket field (`__sk_buff.sk`, `bpf_sock_ops.sk`) then points to it, and
 * bpf_sk_fullsock and bpf_tcp_sock return it (the TCP state for a TCP stream socket). A NULL
 * `sock` takes it away. Returns 0, or -1 for a bad handle or sizes; an oxbpf_exec_packet whose
 * program type carries no socket then fails.
 */
int oxbpf_set_socket(struct ebpf_vm *vm, const void *sock, size_t sock_len, const void *tcp, size_t tcp_len);

/** Bytes start..end of a context. */
struct oxbpf_range {
    uint32_t start; /**< first byte */
    uint32_t end;   /**< one past the last byte */
};

/**
 * Describes the context of the programs loaded afterwards to the verifier: `size` bytes (0: as
 * many as the program gets in r2 at each run, the default), of which programs may write only
 * the `count` ranges at `writable` (NULL: all of them; count 0 with a non-NULL pointer: none).
 * A verified program reading past `size` or writing outside those ranges does not load; a run
 * given fewer than `size` bytes still has its accesses checked. Undoes oxbpf_set_program_type
 * (the context is then raw memory, whatever an ELF section says). Returns 0, or -1 for a range
 * past `size` or reversed, or a bad handle.
 */
int oxbpf_set_context(struct ebpf_vm *vm, uint32_t size, const struct oxbpf_range *writable, size_t count);

/* What a helper argument must be: the codes of oxbpf_helper_proto.args. */
/** Not read by the helper: anything, even a register never written. */
#define OXBPF_ARG_UNUSED        0
/** Any value the program wrote; a pointer only where oxbpf_allow_pointer_leaks allows it (the
 * helper then sees an address as a number). */
#define OXBPF_ARG_ANY           1
/** A number, never a pointer. */
#define OXBPF_ARG_NUMBER        2
/** A map (as an lddw of a map loads it) of any type, which the helper only reads. */
#define OXBPF_ARG_MAP           3
/** A map of any type whose contents the helper changes (refused for OXBPF_F_RDONLY_PROG). */
#define OXBPF_ARG_MAP_WRITE     4
/** A pointer to a key (key_size readable bytes) of the closest earlier map argument. */
#define OXBPF_ARG_MAP_KEY       5
/** A pointer to a value (value_size readable bytes) of the closest earlier map argument. */
#define OXBPF_ARG_MAP_VALUE     6
/** A pointer to value_size writable bytes of the closest earlier map argument, which the
 * helper fills. */
#define OXBPF_ARG_MAP_VALUE_OUT 7
/** A pointer to readable memory of the size in the next argument (an OXBPF_ARG_SIZE). */
#define OXBPF_ARG_MEM           8
/** A pointer to writable memory of the size in the next argument (an OXBPF_ARG_SIZE), which
 * the helper fills. */
#define OXBPF_ARG_MEM_OUT       9
/** The size of the previous OXBPF_ARG_MEM, OXBPF_ARG_MEM_OUT or OXBPF_ARG_MEM_INOUT argument:
 * a number the program has bounded. */
#define OXBPF_ARG_SIZE          10
/** An address the helper reads the size in the closest earlier OXBPF_ARG_SIZE argument from
 * (as probe_read's source): a number, which the helper must check itself, or a pointer to
 * that much readable memory. */
#define OXBPF_ARG_ADDRESS       11
/** The context pointer the program was given (r1 at entry), unmodified. */
#define OXBPF_ARG_CTX           12
/** A pointer to readable, initialised memory of the size in the next argument, which the
 * helper reads and may rewrite (as Linux's bpf_fib_lookup its parameters). */
#define OXBPF_ARG_MEM_INOUT     13
/** As OXBPF_ARG_MEM, or NULL (0) with a size of 0. */
#define OXBPF_ARG_MEM_OR_NULL   14

/* What r0 holds after the call: the codes of oxbpf_helper_proto.ret. */
/** A number. */
#define OXBPF_RET_NUMBER            0
/** A pointer to a value of the first map argument, or 0 (the program checks it before use). */
#define OXBPF_RET_MAP_VALUE_OR_NULL 1

/** A helper's prototype: what r1-r5 must hold and what r0 holds after the call. */
struct oxbpf_helper_proto {
    uint32_t args[5]; /**< OXBPF_ARG_* codes for r1 to r5 */
    uint32_t ret;     /**< an OXBPF_RET_* code */
};

/**
 * Registers fn as helper `index` named `name` as ebpf_register does, with the prototype *proto
 * (copied; NULL: none, the same as ebpf_register). The verifier checks every call of it against
 * the prototype and assumes fn reads and writes no memory but the arguments it declares, each
 * within the size it declares: fn must keep to it, or verified programs are no longer safe.
 * A prototype the verifier cannot use (an OXBPF_ARG_MEM without an OXBPF_ARG_SIZE after it, a
 * map key before any map) makes programs calling it fail to load, naming it. Returns 0, or -1
 * (fn NULL, an unknown argument or return code, bad handle), registering nothing.
 */
int oxbpf_register_helper(struct ebpf_vm *vm, unsigned int index, const char *name, void *fn,
                          const struct oxbpf_helper_proto *proto);

/**
 * Lets verified programs loaded afterwards call helpers without a prototype (allow true), or
 * refuses them again (false, the default). The verifier then assumes the worst of each such
 * call: it may be given anything, pointers included, and may read and write the whole stack
 * and all memory its arguments reach, so no number or pointer the program kept on its stack is
 * known after it. The host gives up the guarantee for those helpers: what they do with the
 * addresses they are given is no longer checked, only trusted. Returns 0, or -1 for a bad
 * handle.
 */
int oxbpf_allow_unknown_helpers(struct ebpf_vm *vm, bool allow);

/**
 * Lets programs loaded afterwards call helpers of Linux's catalogue that neither oxbpf nor the
 * host implements (trap true): the verifier checks each call against Linux's prototype, and a
 * call that runs traps with a message naming the helper (bpf_fib_lookup, ...). By default
 * (false) such a program does not load, the error naming the helper. Returns 0, or -1 for a
 * bad handle.
 */
int oxbpf_trap_missing_helpers(struct ebpf_vm *vm, bool trap);

/** Program types by Linux's ids (enum bpf_prog_type), those oxbpf describes the context of. */
#define OXBPF_PROG_TYPE_RAW (-1)
#define OXBPF_PROG_TYPE_FROM_SECTION 0
#define OXBPF_PROG_TYPE_SOCKET_FILTER 1
#define OXBPF_PROG_TYPE_KPROBE 2
#define OXBPF_PROG_TYPE_SCHED_CLS 3
#define OXBPF_PROG_TYPE_SCHED_ACT 4
#define OXBPF_PROG_TYPE_TRACEPOINT 5
#define OXBPF_PROG_TYPE_XDP 6
#define OXBPF_PROG_TYPE_PERF_EVENT 7
#define OXBPF_PROG_TYPE_CGROUP_SKB 8
#define OXBPF_PROG_TYPE_CGROUP_SOCK 9
#define OXBPF_PROG_TYPE_LWT_IN 10
#define OXBPF_PROG_TYPE_LWT_OUT 11
#define OXBPF_PROG_TYPE_LWT_XMIT 12
#define OXBPF_PROG_TYPE_SOCK_OPS 13
#define OXBPF_PROG_TYPE_SK_SKB 14
#define OXBPF_PROG_TYPE_SK_MSG 16
#define OXBPF_PROG_TYPE_RAW_TRACEPOINT 17
#define OXBPF_PROG_TYPE_CGROUP_SOCK_ADDR 18
#define OXBPF_PROG_TYPE_LWT_SEG6LOCAL 19
#define OXBPF_PROG_TYPE_FLOW_DISSECTOR 22
#define OXBPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE 24
#define OXBPF_PROG_TYPE_TRACING 26
#define OXBPF_PROG_TYPE_STRUCT_OPS 27
#define OXBPF_PROG_TYPE_LSM 29

/**
 * Chooses the type of the programs loaded afterwards: a Linux program type id (the verifier
 * then checks the context as that type's structure, e.g. struct xdp_md for
 * OXBPF_PROG_TYPE_XDP), OXBPF_PROG_TYPE_FROM_SECTION (the default: an ELF program's section
 * decides, as libbpf's SEC() names do; other programs get raw memory) or OXBPF_PROG_TYPE_RAW
 * (raw memory, r1 = mem and r2 = its length, whatever the section). Returns 0, or -1 for an
 * unknown type or a bad handle.
 */
int oxbpf_set_program_type(struct ebpf_vm *vm, int program_type);

/**
 * Lets verified programs loaded afterwards hand host addresses to the host (allow true): a
 * pointer in r0 at exit, stored into context or map memory, turned into a number by arithmetic,
 * or passed as an OXBPF_ARG_ANY argument. False (the default) refuses such programs. The host
 * gives up hiding its memory layout (the addresses of its stacks, context and maps) from
 * programs and from whoever reads their results; memory safety itself is kept. Returns 0, or
 * -1 for a bad handle.
 */
int oxbpf_allow_pointer_leaks(struct ebpf_vm *vm, bool allow);

/**
 * Verifies code_len bytes of bytecode as ebpf_load would load them (same lddw resolution,
 * helpers and maps), without loading. Returns 0 if the verifier accepts it; -1 with *errmsg
 * set to its one-line reason ("insn N: reason") otherwise.
 */
int oxbpf_verify(struct ebpf_vm *vm, const void *code, uint32_t code_len, char **errmsg);

/* ---------------------------------------------------------------------------------------- */
/* oxbpf additions: budget and traps                                                         */
/* ---------------------------------------------------------------------------------------- */

/**
 * Limits each run of programs loaded afterwards to `budget` instructions (0: unlimited, the
 * default); a run that would exceed it traps with OXBPF_TRAP_BUDGET_EXHAUSTED. Returns 0, or -1
 * for a bad handle.
 */
int oxbpf_set_instruction_budget(struct ebpf_vm *vm, uint64_t budget);

/**
 * Turns counting of executed instructions on or off for programs loaded afterwards; returns the
 * previous setting (false for a bad handle). Off by default: compiled code then carries no
 * counter and a program that needs nothing from the host runs as one call of compiled code.
 * Runs with a budget count whatever this says.
 */
bool oxbpf_toggle_instruction_count(struct ebpf_vm *vm, bool enable);

/** Trap codes (stable). */
enum oxbpf_trap_code {
    OXBPF_TRAP_NONE = 0,               /**< the run ended normally */
    OXBPF_TRAP_OUT_OF_BOUNDS = 1,      /**< a load or store outside every accessible region */
    OXBPF_TRAP_BUDGET_EXHAUSTED = 2,   /**< the instruction budget ran out */
    OXBPF_TRAP_CALL_DEPTH_EXCEEDED = 3,/**< too many nested bpf-to-bpf calls */
    OXBPF_TRAP_UNKNOWN_HELPER = 4,     /**< callx to an unregistered helper */
    OXBPF_TRAP_HELPER_ERROR = 5,       /**< a helper failed */
    OXBPF_TRAP_UNALIGNED_ATOMIC = 6,   /**< an atomic operation on an unaligned address */
};

/** How the last run ended. */
struct oxbpf_trap {
    uint32_t code;     /**< an oxbpf_trap_code */
    uint32_t write;    /**< OUT_OF_BOUNDS: 1 for a store, 0 for a load */
    uint64_t pc;       /**< index of the instruction that trapped */
    uint64_t addr;     /**< OUT_OF_BOUNDS, UNALIGNED_ATOMIC: the address */
    uint64_t len;      /**< OUT_OF_BOUNDS: the access size in bytes */
    uint64_t helper;   /**< UNKNOWN_HELPER, HELPER_ERROR: the helper id */
};

/**
 * Stores how the VM's last run (ebpf_exec or a compiled function, whichever ended last) ended.
 * Returns 1 if it trapped, 0 if it ended normally or nothing ran (trap->code is then
 * OXBPF_TRAP_NONE), -1 for bad arguments.
 */
int oxbpf_last_trap(const struct ebpf_vm *vm, struct oxbpf_trap *trap);

/** A short description of a trap code, a static string ("unknown trap code" for others). */
const char *oxbpf_trap_message(uint32_t code);

/* ---------------------------------------------------------------------------------------- */
/* oxbpf additions: maps                                                                     */
/* ---------------------------------------------------------------------------------------- */

/** Map types, Linux's numbers. */
enum oxbpf_map_type {
    OXBPF_MAP_HASH = 1,
    OXBPF_MAP_ARRAY = 2,
    OXBPF_MAP_PROG_ARRAY = 3,
    OXBPF_MAP_PERCPU_HASH = 5,
    OXBPF_MAP_PERCPU_ARRAY = 6,
    OXBPF_MAP_LRU_HASH = 9,
    OXBPF_MAP_QUEUE = 22,
    OXBPF_MAP_STACK = 23,
    OXBPF_MAP_RINGBUF = 27,
};

/** Map flag (oxbpf_map_create), Linux's BPF_F_RDONLY_PROG: programs may read the map's values
 * but not change them (a store traps, a verified program that would store does not load); the
 * host still may, with oxbpf_map_update. */
#define OXBPF_F_RDONLY_PROG (1U << 7)

/** Update flags, Linux's. */
#define OXBPF_ANY     0
#define OXBPF_NOEXIST 1
#define OXBPF_EXIST   2

/** What a map is. */
struct oxbpf_map_info {
    uint32_t type;        /**< an oxbpf_map_type */
    uint32_t key_size;    /**< bytes of a key */
    uint32_t value_size;  /**< bytes of a value */
    uint32_t max_entries; /**< capacity (bytes, for ring buffers) */
    uint64_t lookup_size; /**< bytes oxbpf_map_lookup writes (per-CPU maps: every CPU's value) */
};

/**
 * Creates a map owned by the VM, which programs loaded afterwards by ebpf_load reach: the
 * standard helpers (map_lookup_elem = 1, ...) serve it (helpers registered with ebpf_register
 * take precedence), and an lddw of src 1 or 5 with imm N loads the N-th map created (from 0),
 * src 2 or 6 the address of its value (array maps) plus next_imm, unless the host's lddw helpers
 * resolve it. flags are Linux's map_flags (0, or OXBPF_F_RDONLY_PROG). Stores its handle in
 * *handle. Returns 0, or -EINVAL / -ENOMEM with *errmsg set (bad sizes or type, a name already
 * used, too large).
 */
int oxbpf_map_create(struct ebpf_vm *vm, const char *name, uint32_t type, uint32_t key_size, uint32_t value_size,
                     uint32_t max_entries, uint32_t flags, uint64_t *handle, char **errmsg);

/** Finds a map by name: the VM's own, then those of the loaded ELF object. Returns 0, or -ENOENT. */
int oxbpf_map_find(const struct ebpf_vm *vm, const char *name, uint64_t *handle);

/** Describes map `map`. Returns 0, or -ENOENT for an unknown handle. */
int oxbpf_map_info(const struct ebpf_vm *vm, uint64_t map, struct oxbpf_map_info *info);

/**
 * Copies the value of the key_size-byte `key` into `value` (value_len bytes, at least
 * lookup_size). Returns 0, -ENOENT (no such key or map), -ENOSPC (value_len too small), -EINVAL.
 */
int oxbpf_map_lookup(const struct ebpf_vm *vm, uint64_t map, const void *key, void *value, size_t value_len);

/**
 * Sets the value of `key` to value_len bytes at `value` (value_size; per-CPU maps: lookup_size)
 * under flags (OXBPF_ANY, OXBPF_NOEXIST, OXBPF_EXIST). Queues and stacks take key NULL.
 * Returns 0 or -errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL).
 */
int oxbpf_map_update(const struct ebpf_vm *vm, uint64_t map, const void *key, const void *value, size_t value_len,
                     uint64_t flags);

/** Deletes `key`. Returns 0 or -errno (-ENOENT; -EINVAL for arrays). */
int oxbpf_map_delete(const struct ebpf_vm *vm, uint64_t map, const void *key);

/**
 * Stores in `next_key` (key_size bytes) the key after `key` (the first key when key is NULL or
 * absent), as BPF_MAP_GET_NEXT_KEY. Returns 0, or -ENOENT after the last key.
 */
int oxbpf_map_next_key(const struct ebpf_vm *vm, uint64_t map, const void *key, void *next_key);

/**
 * Consumes every record submitted to ring buffer `map`, oldest first, calling
 * callback(ctx, data, len) for each. Returns the number of records, or -errno.
 */
long oxbpf_ringbuf_drain(const struct ebpf_vm *vm, uint64_t map, void (*callback)(void *ctx, const void *data, size_t len),
                         void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* OXBPF_EBPF_VM_H */
