/* The VM's settings from C: instruction counting (off by default), the budget, the verifier's
 * termination policy, its limit and the context it assumes; and ebpf_compile's function for a
 * program that needs nothing from the host (one call of compiled code: its traps, the last trap
 * record, a stack that shows no earlier run). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

static const char *const names[] = {"interp", "jit", "aot"};

/* r0 = 0 + 1 + ... + 99: a loop bounded by a constant. */
static const struct ebpf_inst sum_to_100[] = {
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 3, .imm = 0},
    {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 3},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 3, .imm = 1},
    {.opcode = EBPF_OP_JLT_IMM, .dst = 3, .imm = 100, .offset = -3},
    {.opcode = EBPF_OP_EXIT},
};

/* r0 = the sum of the r2 bytes at r1: a loop bounded by the memory's length. */
static const struct ebpf_inst sum_bytes[] = {
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 3, .imm = 0},
    {.opcode = EBPF_OP_JGE_REG, .dst = 3, .src = 2, .offset = 6},
    {.opcode = EBPF_OP_MOV64_REG, .dst = 4, .src = 1},
    {.opcode = EBPF_OP_ADD64_REG, .dst = 4, .src = 3},
    {.opcode = EBPF_OP_LDXB, .dst = 5, .src = 4, .offset = 0},
    {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 5},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 3, .imm = 1},
    {.opcode = EBPF_OP_JA, .offset = -7},
    {.opcode = EBPF_OP_EXIT},
};

static void counting_and_budget(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    /* Off by default, as in ubpf and bpftime. */
    CHECK(oxbpf_toggle_instruction_count(vm, true) == false);
    CHECK(oxbpf_toggle_instruction_count(vm, false) == true);
    CHECK(oxbpf_toggle_instruction_count(NULL, true) == false);

    /* A budget counts whatever the toggle says: 1,000 bytes take more than 100 instructions. */
    CHECK(oxbpf_set_instruction_budget(vm, 100) == 0);
    CHECK(ebpf_load(vm, sum_bytes, sizeof(sum_bytes), NULL) == 0);
    uint8_t mem[1000];
    memset(mem, 1, sizeof(mem));
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == -1);
    struct oxbpf_trap trap;
    CHECK(oxbpf_last_trap(vm, &trap) == 1);
    CHECK(trap.code == OXBPF_TRAP_BUDGET_EXHAUSTED);
    CHECK(ebpf_exec(vm, mem, 10, &r0) == 0);
    CHECK_EQ_U64(r0, 10);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL) {
        CHECK_EQ_U64(fn(mem, sizeof(mem)), UINT64_MAX);
        CHECK(oxbpf_last_trap(vm, &trap) == 1 && trap.code == OXBPF_TRAP_BUDGET_EXHAUSTED);
        CHECK_EQ_U64(fn(mem, 10), 10);
        CHECK(oxbpf_last_trap(vm, &trap) == 0);
    }
    ebpf_destroy(vm);
}

/* Loads `code` verified in `vm`; 0 or -1, with the error's text in `why` (if any). */
static int load_verified(struct ebpf_vm *vm, const struct ebpf_inst *code, size_t size, char *why,
                         size_t why_len)
{
    ebpf_unload_code(vm);
    char *errmsg = NULL;
    int rc = ebpf_load(vm, code, (uint32_t)size, &errmsg);
    if (why != NULL) {
        why[0] = '\0';
        if (errmsg != NULL)
            snprintf(why, why_len, "%s", errmsg);
    }
    free(errmsg);
    return rc;
}

static void termination(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    oxbpf_toggle_verify(vm, true);
    char why[512];
    uint8_t mem[64];
    for (size_t i = 0; i < sizeof(mem); i++)
        mem[i] = (uint8_t)i;
    uint64_t r0 = 0;

    /* Proven (the default): the constant-bounded loop is walked to its end... */
    CHECK(load_verified(vm, sum_to_100, sizeof(sum_to_100), why, sizeof(why)) == 0);
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == 0);
    CHECK_EQ_U64(r0, 4950);
    /* ...but a loop over a length only known at run time is not shown to end (within a
     * limit of 5,000 steps, so that the refusal comes quickly). */
    CHECK(oxbpf_set_verifier_limit(vm, 5000) == 0);
    CHECK(load_verified(vm, sum_bytes, sizeof(sum_bytes), why, sizeof(why)) == -1);
    CHECK(strstr(why, "too complex") != NULL);
    CHECK(oxbpf_set_verifier_limit(vm, 0) == 0);

    /* Budget: the loop body is proven for any number of iterations; the budget ends runs. */
    CHECK(oxbpf_set_termination(vm, OXBPF_TERMINATION_BUDGET) == 0);
    CHECK(oxbpf_set_instruction_budget(vm, 1000000) == 0);
    CHECK(load_verified(vm, sum_bytes, sizeof(sum_bytes), why, sizeof(why)) == 0);
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == 0);
    CHECK_EQ_U64(r0, 63 * 64 / 2);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL)
        CHECK_EQ_U64(fn(mem, 10), 45);
    CHECK(oxbpf_set_termination(vm, 2) == -1);
    CHECK(oxbpf_set_termination(NULL, OXBPF_TERMINATION_PROVEN) == -1);

    /* The verifier's limit: 100 iterations do not fit in 50 steps. */
    CHECK(oxbpf_set_termination(vm, OXBPF_TERMINATION_PROVEN) == 0);
    CHECK(oxbpf_set_verifier_limit(vm, 50) == 0);
    CHECK(load_verified(vm, sum_to_100, sizeof(sum_to_100), why, sizeof(why)) == -1);
    CHECK(strstr(why, "too complex") != NULL);
    CHECK(oxbpf_set_verifier_limit(vm, 0) == 0);
    CHECK(load_verified(vm, sum_to_100, sizeof(sum_to_100), why, sizeof(why)) == 0);
    CHECK(oxbpf_set_verifier_limit(NULL, 0) == -1);
    ebpf_destroy(vm);
}

/* *(u64 *)(r1 + OFF) = 7; r0 = 0 */
#define STORE_AT(off)                                                                    \
    {                                                                                    \
        {.opcode = EBPF_OP_STDW, .dst = 1, .offset = (off), .imm = 7},                   \
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0}, {.opcode = EBPF_OP_EXIT},     \
    }
/* r0 = *(u64 *)(r1 + OFF) */
#define LOAD_AT(off)                                                                     \
    {                                                                                    \
        {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 1, .offset = (off)},                  \
            {.opcode = EBPF_OP_EXIT},                                                    \
    }

static void context(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    oxbpf_toggle_verify(vm, true);
    static const struct ebpf_inst store0[] = STORE_AT(0), store8[] = STORE_AT(8);
    static const struct ebpf_inst load8[] = LOAD_AT(8), load16[] = LOAD_AT(16);
    char why[512];
    /* Raw memory of r2 bytes (the default): an unbounded load is kept, checked at run time. */
    CHECK(load_verified(vm, load16, sizeof(load16), why, sizeof(why)) == 0);

    /* 16 bytes, of which the first 8 are writable. */
    const struct oxbpf_range writable[] = {{0, 8}};
    CHECK(oxbpf_set_context(vm, 16, writable, 1) == 0);
    CHECK(load_verified(vm, store0, sizeof(store0), why, sizeof(why)) == 0);
    uint8_t mem[16] = {0};
    mem[8] = 5;
    uint64_t r0 = 1;
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == 0 && r0 == 0 && mem[0] == 7);
    CHECK(load_verified(vm, store8, sizeof(store8), why, sizeof(why)) == -1);
    CHECK(strstr(why, "insn 0") != NULL);
    CHECK(load_verified(vm, load8, sizeof(load8), why, sizeof(why)) == 0);
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == 0);
    CHECK_EQ_U64(r0, 5);
    CHECK(load_verified(vm, load16, sizeof(load16), why, sizeof(why)) == -1);
    CHECK(strstr(why, "16-byte context") != NULL);

    /* Writable everywhere (NULL), and back to raw memory (size 0). */
    CHECK(oxbpf_set_context(vm, 16, NULL, 0) == 0);
    CHECK(load_verified(vm, store8, sizeof(store8), why, sizeof(why)) == 0);
    CHECK(oxbpf_set_context(vm, 0, NULL, 0) == 0);
    CHECK(load_verified(vm, load16, sizeof(load16), why, sizeof(why)) == 0);

    /* Ranges past the context or reversed; bad handles. */
    const struct oxbpf_range past[] = {{8, 24}}, reversed[] = {{8, 4}};
    CHECK(oxbpf_set_context(vm, 16, past, 1) == -1);
    CHECK(oxbpf_set_context(vm, 16, reversed, 1) == -1);
    CHECK(oxbpf_set_context(NULL, 16, NULL, 0) == -1);
    ebpf_destroy(vm);
}

static void direct_entry(const char *name)
{
    struct ebpf_vm *writer = ebpf_create(name), *reader = ebpf_create(name);
    /* *(u64 *)(r10 - 8) = 0x1234; r0 = 1 */
    static const struct ebpf_inst write_stack[] = {
        {.opcode = EBPF_OP_STDW, .dst = 10, .offset = -8, .imm = 0x1234},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 1},
        {.opcode = EBPF_OP_EXIT},
    };
    /* r0 = *(u64 *)(r10 - 8): a stack byte no instruction wrote reads 0 on every backend. */
    static const struct ebpf_inst read_stack[] = {
        {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 10, .offset = -8},
        {.opcode = EBPF_OP_EXIT},
    };
    CHECK(ebpf_load(writer, write_stack, sizeof(write_stack), NULL) == 0);
    CHECK(ebpf_load(reader, read_stack, sizeof(read_stack), NULL) == 0);
    ebpf_jit_fn w = ebpf_compile(writer, NULL), r = ebpf_compile(reader, NULL);
    CHECK(w != NULL && r != NULL);
    if (w != NULL && r != NULL) {
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_U64(w(NULL, 0), 1);
            CHECK_EQ_U64(r(NULL, 0), 0);
        }
    }
    uint64_t r0 = 1;
    CHECK(ebpf_exec(writer, NULL, 0, &r0) == 0 && r0 == 1);
    CHECK(ebpf_exec(reader, NULL, 0, &r0) == 0 && r0 == 0);

    /* A trap, then a normal run: the last trap record follows. */
    static const struct ebpf_inst load8[] = LOAD_AT(8);
    ebpf_unload_code(reader);
    CHECK(ebpf_load(reader, load8, sizeof(load8), NULL) == 0);
    ebpf_set_error_print(reader, NULL);
    ebpf_jit_fn f = ebpf_compile(reader, NULL);
    CHECK(f != NULL);
    if (f != NULL) {
        uint8_t mem[16] = {0};
        mem[8] = 9;
        struct oxbpf_trap trap;
        CHECK_EQ_U64(f(mem, 12), UINT64_MAX);
        CHECK(oxbpf_last_trap(reader, &trap) == 1);
        CHECK(trap.code == OXBPF_TRAP_OUT_OF_BOUNDS && trap.pc == 0 && trap.len == 8);
        CHECK_EQ_U64(trap.addr, (uint64_t)(uintptr_t)mem + 8);
        CHECK_EQ_U64(f(mem, 16), 9);
        CHECK(oxbpf_last_trap(reader, &trap) == 0);
    }
    ebpf_destroy(writer);
    ebpf_destroy(reader);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        counting_and_budget(names[i]);
        termination(names[i]);
        context(names[i]);
        direct_entry(names[i]);
    }
    return check_done();
}
