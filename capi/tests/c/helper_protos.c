/* Helper prototypes from C, on every backend with verification on: a helper without one is
 * refused (oxbpf_allow_unknown_helpers lets it through), with one it loads and runs
 * (oxbpf_register_helper: numbers, memory the helper fills); pointers given to helpers or
 * returned (oxbpf_allow_pointer_leaks); a map read-only to programs (OXBPF_F_RDONLY_PROG). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

#define LDDW(dst_, src_, imm_, next_)                                                \
    {.opcode = EBPF_OP_LDDW, .dst = dst_, .src = src_, .imm = imm_}, { .imm = next_ }

enum { COMBINE = 20, FILL = 21, TAKE = 22, TOUCH = 23 };

/* r0 = a * 1000 + b */
static uint64_t combine(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    (void)c, (void)d, (void)e;
    return a * 1000 + b;
}

/* The byte fill writes at offset i. */
static uint8_t fill_byte(uint64_t i)
{
    return (uint8_t)(0xa1 + i * 0x13);
}

/* Writes size bytes at buf; returns size. */
static uint64_t fill(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e)
{
    (void)c, (void)d, (void)e;
    uint8_t *p = (uint8_t *)(uintptr_t)buf;
    for (uint64_t i = 0; i < size; i++)
        p[i] = fill_byte(i);
    return size;
}

/* Whether its argument is non-zero (given an address, the helper sees a number). */
static uint64_t take(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    (void)b, (void)c, (void)d, (void)e;
    return a != 0;
}

static int quiet(FILE *stream, const char *format, ...)
{
    (void)stream, (void)format;
    return 0;
}

/* r0 = combine(7, 5) */
static const struct ebpf_inst call_combine[] = {
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 1, .imm = 7},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .imm = 5},
    {.opcode = EBPF_OP_CALL, .imm = COMBINE},
    {.opcode = EBPF_OP_EXIT},
};

/* fill(r10 - 8, 8); r0 = *(u64 *)(r10 - 8): reads only what the helper wrote. */
static const struct ebpf_inst call_fill[] = {
    {.opcode = EBPF_OP_MOV64_REG, .dst = 1, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 1, .imm = -8},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .imm = 8},
    {.opcode = EBPF_OP_CALL, .imm = FILL},
    {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 10, .offset = -8},
    {.opcode = EBPF_OP_EXIT},
};

/* fill(r10 - 8, 16): the helper would write 8 bytes past the stack. */
static const struct ebpf_inst fill_past_stack[] = {
    {.opcode = EBPF_OP_MOV64_REG, .dst = 1, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 1, .imm = -8},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .imm = 16},
    {.opcode = EBPF_OP_CALL, .imm = FILL},
    {.opcode = EBPF_OP_EXIT},
};

/* r0 = take(r10): a stack address given to the helper. */
static const struct ebpf_inst pass_r10[] = {
    {.opcode = EBPF_OP_MOV64_REG, .dst = 1, .src = 10},
    {.opcode = EBPF_OP_CALL, .imm = TAKE},
    {.opcode = EBPF_OP_EXIT},
};

/* r0 = r10: a stack address returned to the host. */
static const struct ebpf_inst return_r10[] = {
    {.opcode = EBPF_OP_MOV64_REG, .dst = 0, .src = 10},
    {.opcode = EBPF_OP_EXIT},
};

/* Looks up key 0 of map 0 (map_lookup_elem) and returns its value, or 0. */
static const struct ebpf_inst read_map[] = {
    {.opcode = EBPF_OP_STW, .dst = 10, .offset = -4, .imm = 0},
    LDDW(1, 1, 0, 0),
    {.opcode = EBPF_OP_MOV64_REG, .dst = 2, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 2, .imm = -4},
    {.opcode = EBPF_OP_CALL, .imm = 1},
    {.opcode = EBPF_OP_JEQ_IMM, .dst = 0, .offset = 1, .imm = 0},
    {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 0},
    {.opcode = EBPF_OP_EXIT},
};

/* The index of the store in write_map. */
#define WRITE_MAP_STORE 7

/* Looks up key 0 of map 0 and stores 0x2222 into its value; returns 1, or 0 if absent. */
static const struct ebpf_inst write_map[] = {
    {.opcode = EBPF_OP_STW, .dst = 10, .offset = -4, .imm = 0},
    LDDW(1, 1, 0, 0),
    {.opcode = EBPF_OP_MOV64_REG, .dst = 2, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 2, .imm = -4},
    {.opcode = EBPF_OP_CALL, .imm = 1},
    {.opcode = EBPF_OP_JEQ_IMM, .dst = 0, .offset = 3, .imm = 0},
    {.opcode = EBPF_OP_STDW, .dst = 0, .imm = 0x2222},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 1},
    {.opcode = EBPF_OP_EXIT},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0},
    {.opcode = EBPF_OP_EXIT},
};

/* Stores 0x3333 into the value of map 0 through an lddw of its value's address. */
static const struct ebpf_inst write_map_direct[] = {
    LDDW(1, 2, 0, 0),
    {.opcode = EBPF_OP_STDW, .dst = 1, .imm = 0x3333},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 1},
    {.opcode = EBPF_OP_EXIT},
};

/* r0 = touch(map 0): the helper reads or changes the map, as its prototype says. */
static const struct ebpf_inst call_touch[] = {
    LDDW(1, 1, 0, 0),
    {.opcode = EBPF_OP_CALL, .imm = TOUCH},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 5},
    {.opcode = EBPF_OP_EXIT},
};

/* Loads `code` (which must load), runs it with no memory and returns r0. */
#define LOAD_RUN(vm_, code_, r0_)                                                      \
    do {                                                                               \
        char *load_err_ = NULL;                                                        \
        int load_rc_ = ebpf_load(vm_, code_, sizeof(code_), &load_err_);               \
        CHECK(load_rc_ == 0);                                                          \
        if (load_err_ != NULL) {                                                       \
            fprintf(stderr, "%s: %s\n", #code_, load_err_);                            \
            free(load_err_);                                                           \
        }                                                                              \
        (r0_) = UINT64_MAX;                                                            \
        CHECK(load_rc_ != 0 || ebpf_exec(vm_, NULL, 0, &(r0_)) == 0);                  \
        ebpf_unload_code(vm_);                                                         \
    } while (0)

/* Whether `code` is refused at load, the message containing `what` (and `also`, if not NULL). */
static int refused2(struct ebpf_vm *vm, const struct ebpf_inst *code, size_t len, const char *what,
                    const char *also)
{
    char *errmsg = NULL;
    int rc = ebpf_load(vm, code, (uint32_t)len, &errmsg);
    int ok = rc != 0 && errmsg != NULL && strstr(errmsg, what) != NULL &&
             (also == NULL || strstr(errmsg, also) != NULL);
    if (!ok)
        fprintf(stderr, "expected a refusal mentioning \"%s\": rc %d, %s\n", what, rc,
                errmsg ? errmsg : "(no message)");
    free(errmsg);
    if (rc == 0)
        ebpf_unload_code(vm);
    return ok;
}

/* Whether `code` is refused at load, the message containing `what`. */
static int refused(struct ebpf_vm *vm, const struct ebpf_inst *code, size_t len, const char *what)
{
    return refused2(vm, code, len, what, NULL);
}

static void no_prototype(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    CHECK(oxbpf_toggle_verify(vm, true) == false);
    uint64_t r0 = 0;

    /* Without a prototype: refused by ebpf_load and oxbpf_verify, naming what is missing. */
    CHECK(ebpf_register(vm, COMBINE, "combine", (void *)combine) == 0);
    CHECK(refused2(vm, call_combine, sizeof(call_combine), "combine", "prototype"));
    char *errmsg = NULL;
    CHECK(oxbpf_verify(vm, call_combine, sizeof(call_combine), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "combine") != NULL);
    free(errmsg);
    /* A NULL prototype is no prototype. */
    CHECK(oxbpf_register_helper(vm, COMBINE, "combine", (void *)combine, NULL) == 0);
    CHECK(refused(vm, call_combine, sizeof(call_combine), "prototype"));

    /* Allowed, the verifier assuming the worst: loads and runs. */
    CHECK(oxbpf_allow_unknown_helpers(vm, true) == 0);
    LOAD_RUN(vm, call_combine, r0);
    CHECK_EQ_U64(r0, 7 * 1000 + 5);
    CHECK(oxbpf_verify(vm, call_combine, sizeof(call_combine), NULL) == 0);
    /* And refused again. */
    CHECK(oxbpf_allow_unknown_helpers(vm, false) == 0);
    CHECK(refused(vm, call_combine, sizeof(call_combine), "prototype"));

    /* Unregistered: refused too (by the load-time checks), as a helper that is not there. */
    CHECK(ebpf_unregister(vm, COMBINE) == 0);
    CHECK(refused(vm, call_combine, sizeof(call_combine), "unknown helper 20"));
    ebpf_destroy(vm);
}

static void with_prototype(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    oxbpf_toggle_verify(vm, true);
    uint64_t r0 = 0;

    /* combine(number, number) */
    static const struct oxbpf_helper_proto numbers = {
        .args = {OXBPF_ARG_NUMBER, OXBPF_ARG_NUMBER},
        .ret = OXBPF_RET_NUMBER,
    };
    CHECK(oxbpf_register_helper(vm, COMBINE, "combine", (void *)combine, &numbers) == 0);
    LOAD_RUN(vm, call_combine, r0);
    CHECK_EQ_U64(r0, combine(7, 5, 0, 0, 0));

    /* fill(memory out, size): the program reads back what the helper wrote. */
    static const struct oxbpf_helper_proto fills = {
        .args = {OXBPF_ARG_MEM_OUT, OXBPF_ARG_SIZE},
        .ret = OXBPF_RET_NUMBER,
    };
    CHECK(oxbpf_register_helper(vm, FILL, "fill", (void *)fill, &fills) == 0);
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = fill_byte((uint64_t)i);
    uint64_t expect;
    memcpy(&expect, bytes, sizeof(expect));
    LOAD_RUN(vm, call_fill, r0);
    CHECK_EQ_U64(r0, expect);
    /* The same, as a compiled function. */
    CHECK(ebpf_load(vm, call_fill, sizeof(call_fill), NULL) == 0);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL)
        CHECK_EQ_U64(fn(NULL, 0), expect);
    ebpf_unload_code(vm);
    /* A size larger than the memory given: the helper would write past the stack. */
    CHECK(refused2(vm, fill_past_stack, sizeof(fill_past_stack), "insn 3:", "outside"));
    /* A prototype with MEM_OUT but no SIZE after it: calls of it do not load, naming it. */
    static const struct oxbpf_helper_proto fill_any_size = {
        .args = {OXBPF_ARG_MEM_OUT, OXBPF_ARG_ANY},
        .ret = OXBPF_RET_NUMBER,
    };
    CHECK(oxbpf_register_helper(vm, FILL, "fill", (void *)fill, &fill_any_size) == 0);
    CHECK(refused(vm, call_fill, sizeof(call_fill), "size argument"));

    /* Registered with a prototype, the unwind helper still ends the program when it returns
     * 0 (combine(0, 0) = 0). */
    static const struct ebpf_inst unwind[] = {
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 1, .imm = 0},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .imm = 0},
        {.opcode = EBPF_OP_CALL, .imm = COMBINE},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 99},
        {.opcode = EBPF_OP_EXIT},
    };
    CHECK(ebpf_set_unwind_function_index(vm, COMBINE) == 0);
    LOAD_RUN(vm, unwind, r0);
    CHECK_EQ_U64(r0, 0);

    /* Bad prototypes, handles and functions register nothing. */
    struct oxbpf_helper_proto bad = numbers;
    bad.args[4] = OXBPF_ARG_MEM_OR_NULL + 1;
    CHECK(oxbpf_register_helper(vm, 30, "bad", (void *)combine, &bad) == -1);
    bad = numbers;
    bad.ret = OXBPF_RET_MAP_VALUE_OR_NULL + 1;
    CHECK(oxbpf_register_helper(vm, 30, "bad", (void *)combine, &bad) == -1);
    CHECK(ebpf_unregister(vm, 30) == -1);
    CHECK(oxbpf_register_helper(vm, 30, "bad", NULL, &numbers) == -1);
    CHECK(oxbpf_register_helper(NULL, 30, "bad", (void *)combine, &numbers) == -1);
    CHECK(oxbpf_allow_unknown_helpers(NULL, true) == -1);
    CHECK(oxbpf_allow_pointer_leaks(NULL, true) == -1);
    ebpf_destroy(vm);
}

static void pointer_leaks(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    oxbpf_toggle_verify(vm, true);
    uint64_t r0 = 0;
    static const struct oxbpf_helper_proto any = {
        .args = {OXBPF_ARG_ANY},
        .ret = OXBPF_RET_NUMBER,
    };
    static const struct oxbpf_helper_proto number = {
        .args = {OXBPF_ARG_NUMBER},
        .ret = OXBPF_RET_NUMBER,
    };

    /* A stack address given as a number or returned: refused. */
    CHECK(oxbpf_register_helper(vm, TAKE, "take", (void *)take, &any) == 0);
    CHECK(refused(vm, pass_r10, sizeof(pass_r10), "leak"));
    CHECK(refused(vm, return_r10, sizeof(return_r10), "leak"));
    CHECK(oxbpf_register_helper(vm, TAKE, "take", (void *)take, &number) == 0);
    CHECK(refused(vm, pass_r10, sizeof(pass_r10), "number"));

    /* Allowed: an OXBPF_ARG_ANY argument takes it, r0 may hold it; an OXBPF_ARG_NUMBER
     * argument never takes a pointer. */
    CHECK(oxbpf_allow_pointer_leaks(vm, true) == 0);
    CHECK(refused(vm, pass_r10, sizeof(pass_r10), "number"));
    CHECK(oxbpf_register_helper(vm, TAKE, "take", (void *)take, &any) == 0);
    LOAD_RUN(vm, pass_r10, r0);
    CHECK_EQ_U64(r0, 1);
    LOAD_RUN(vm, return_r10, r0);
    CHECK(r0 != 0 && r0 != UINT64_MAX);

    /* And refused again. */
    CHECK(oxbpf_allow_pointer_leaks(vm, false) == 0);
    CHECK(refused(vm, pass_r10, sizeof(pass_r10), "leak"));
    ebpf_destroy(vm);
}

/* Whether the last run trapped on an 8-byte store at `pc`. */
static int trapped_on_store(struct ebpf_vm *vm, uint64_t pc)
{
    struct oxbpf_trap trap = {0};
    int ok = oxbpf_last_trap(vm, &trap) == 1 && trap.code == OXBPF_TRAP_OUT_OF_BOUNDS &&
             trap.write == 1 && trap.len == 8 && trap.pc == pc;
    if (!ok)
        fprintf(stderr, "trap: code %u write %u pc %llu len %llu\n", trap.code, trap.write,
                (unsigned long long)trap.pc, (unsigned long long)trap.len);
    return ok;
}

static void read_only_map(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    ebpf_set_error_print(vm, quiet);
    uint64_t ro = 0, r0 = 0, v = 0x1111;
    uint32_t zero = 0;
    CHECK(oxbpf_map_create(vm, "ro", OXBPF_MAP_ARRAY, 4, 8, 1, OXBPF_F_RDONLY_PROG, &ro, NULL) == 0);
    CHECK(OXBPF_F_RDONLY_PROG == 0x80);
    /* The host still writes it. */
    CHECK(oxbpf_map_update(vm, ro, &zero, &v, sizeof(v), OXBPF_ANY) == 0);

    /* Verified: reading is fine; writing, through a lookup or an lddw of the value, is not. */
    oxbpf_toggle_verify(vm, true);
    LOAD_RUN(vm, read_map, r0);
    CHECK_EQ_U64(r0, 0x1111);
    CHECK(refused2(vm, write_map, sizeof(write_map), "insn 7:", "read-only"));
    CHECK(refused2(vm, write_map_direct, sizeof(write_map_direct), "insn 2:", "read-only"));
    /* A helper that only reads maps may be given it; one that changes them may not. */
    static const struct oxbpf_helper_proto reads = {.args = {OXBPF_ARG_MAP}};
    static const struct oxbpf_helper_proto writes = {.args = {OXBPF_ARG_MAP_WRITE}};
    CHECK(oxbpf_register_helper(vm, TOUCH, "touch", (void *)take, &reads) == 0);
    LOAD_RUN(vm, call_touch, r0);
    CHECK_EQ_U64(r0, 5);
    CHECK(oxbpf_register_helper(vm, TOUCH, "touch", (void *)take, &writes) == 0);
    CHECK(refused(vm, call_touch, sizeof(call_touch), "read-only"));

    /* Unverified: the store traps, and the value stays. */
    oxbpf_toggle_verify(vm, false);
    CHECK(ebpf_load(vm, write_map, sizeof(write_map), NULL) == 0);
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == -1);
    CHECK(trapped_on_store(vm, WRITE_MAP_STORE));
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL) {
        CHECK_EQ_U64(fn(NULL, 0), UINT64_MAX);
        CHECK(trapped_on_store(vm, WRITE_MAP_STORE));
    }
    ebpf_unload_code(vm);
    CHECK(ebpf_load(vm, write_map_direct, sizeof(write_map_direct), NULL) == 0);
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == -1);
    CHECK(trapped_on_store(vm, 2));
    ebpf_unload_code(vm);
    v = 0;
    CHECK(oxbpf_map_lookup(vm, ro, &zero, &v, sizeof(v)) == 0);
    CHECK_EQ_U64(v, 0x1111);
    ebpf_destroy(vm);
}

int main(void)
{
    const char *names[] = {"interp", "jit", "aot"};
    for (int i = 0; i < 3; i++) {
        no_prototype(names[i]);
        with_prototype(names[i]);
        pointer_leaks(names[i]);
        read_only_map(names[i]);
    }
    return check_done();
}
