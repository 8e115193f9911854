/* The verifier from C (off by default, as in bpftime; oxbpf_toggle_verify and oxbpf_verify) and
 * the host's lddw resolvers (ebpf_set_lddw_helpers). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

#define LDDW(dst_, src_, imm_, next_)                                                \
    {.opcode = EBPF_OP_LDDW, .dst = dst_, .src = src_, .imm = imm_}, { .imm = next_ }

/* r0 = *(u32 *)(r1 + 0) guarded by a length check: safe. */
static const struct ebpf_inst safe[] = {
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0},
    {.opcode = EBPF_OP_JLT_IMM, .dst = 2, .offset = 1, .imm = 4},
    {.opcode = EBPF_OP_LDXW, .dst = 0, .src = 1},
    {.opcode = EBPF_OP_EXIT},
};

/* r0 = r3 (never written): unsafe. */
static const struct ebpf_inst uninit[] = {
    {.opcode = EBPF_OP_MOV64_REG, .dst = 0, .src = 3},
    {.opcode = EBPF_OP_EXIT},
};

static void verify(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    char *errmsg = NULL;
    /* Off by default: the unsafe program loads. */
    CHECK(ebpf_load(vm, uninit, sizeof(uninit), NULL) == 0);
    ebpf_unload_code(vm);
    CHECK(oxbpf_verify(vm, safe, sizeof(safe), &errmsg) == 0);
    CHECK(errmsg == NULL);
    CHECK(oxbpf_verify(vm, uninit, sizeof(uninit), &errmsg) == -1);
    CHECK(errmsg != NULL && strncmp(errmsg, "insn 0: ", 8) == 0);
    CHECK(errmsg != NULL && strstr(errmsg, "r3") != NULL);
    free(errmsg);
    CHECK(oxbpf_verify(vm, uninit, 3, &errmsg) == -1);
    free(errmsg);

    CHECK(oxbpf_toggle_verify(vm, true) == false);
    CHECK(oxbpf_toggle_verify(vm, true) == true);
    CHECK(ebpf_load(vm, uninit, sizeof(uninit), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "insn 0: ") != NULL);
    free(errmsg);
    CHECK(ebpf_load(vm, safe, sizeof(safe), NULL) == 0);
    uint32_t word = 0xabcdef;
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm, &word, 4, &r0) == 0 && r0 == 0xabcdef);
    CHECK(ebpf_exec(vm, &word, 3, &r0) == 0 && r0 == 0);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL && fn(&word, 4) == 0xabcdef);
    ebpf_destroy(vm);
}

static uint64_t tables[4][2] = {{10, 11}, {20, 21}, {30, 31}, {40, 41}};
static uint64_t variable = 0x5151;

static uint64_t by_fd(uint32_t fd) { return 1000 + fd; }
static uint64_t by_idx(uint32_t idx) { return 2000 + idx; }
static uint64_t value_of(uint64_t map)
{
    return (uint64_t)(uintptr_t)tables[map % 4];
}
static uint64_t var_addr(uint32_t id) { return id == 7 ? (uint64_t)(uintptr_t)&variable : 0; }
static uint64_t code_addr(uint32_t off) { return 0xc0de0000u + off; }

static int quiet(FILE *stream, const char *format, ...)
{
    (void)stream, (void)format;
    return 0;
}

static void lddw(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    /* Host pointers: the program reads memory outside its context, so checks go off (as
     * bpftime hosts do). The interpreter always checks, so it only sees the values. */
    ebpf_toggle_bounds_check(vm, false);
    ebpf_set_error_print(vm, quiet);
    ebpf_set_lddw_helpers(vm, by_fd, by_idx, value_of, var_addr, code_addr);
    /* r0 = map_by_fd(3) + map_by_idx(4) + code_addr(5) */
    static const struct ebpf_inst handles[] = {
        LDDW(0, 1, 3, 0),
        LDDW(1, 5, 4, 0),
        {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 1},
        LDDW(1, 4, 5, 0),
        {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 1},
        {.opcode = EBPF_OP_EXIT},
    };
    CHECK(ebpf_load(vm, handles, sizeof(handles), NULL) == 0);
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == 0);
    CHECK_EQ_U64(r0, 1003 + 2004 + 0xc0de0005u);
    ebpf_unload_code(vm);

    /* r0 = *(map_val(map_by_fd(1)) + 8) + *(map_val(map_by_idx(2)) + 0) + *var_addr(7) */
    static const struct ebpf_inst values[] = {
        LDDW(1, 2, 1, 8),
        {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 1},
        LDDW(1, 6, 2, 0),
        {.opcode = EBPF_OP_LDXDW, .dst = 1, .src = 1},
        {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 1},
        LDDW(1, 3, 7, 0),
        {.opcode = EBPF_OP_LDXDW, .dst = 1, .src = 1},
        {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 1},
        {.opcode = EBPF_OP_EXIT},
    };
    CHECK(ebpf_load(vm, values, sizeof(values), NULL) == 0);
    int rc = ebpf_exec(vm, NULL, 0, &r0);
    if (strcmp(name, "interp") == 0) {
        CHECK(rc == -1); /* outside every region: the interpreter traps */
        struct oxbpf_trap trap;
        CHECK(oxbpf_last_trap(vm, &trap) == 1);
        CHECK_EQ_U64(trap.addr, (uint64_t)(uintptr_t)&tables[1][1]);
    } else {
        CHECK(rc == 0);
        CHECK_EQ_U64(r0, 21 + 30 + 0x5151);
    }
    ebpf_unload_code(vm);

    /* Without resolvers, an lddw of a map fd does not load (the VM has no maps). */
    ebpf_set_lddw_helpers(vm, NULL, NULL, NULL, NULL, NULL);
    char *errmsg = NULL;
    CHECK(ebpf_load(vm, handles, sizeof(handles), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "insn 0") != NULL);
    free(errmsg);
    ebpf_destroy(vm);
}


int main(void)
{
    const char *names[] = {"interp", "jit", "aot"};
    for (int i = 0; i < 3; i++) {
        verify(names[i]);
        lddw(names[i]);
    }
    return check_done();
}
