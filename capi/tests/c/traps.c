/* Traps through ebpf_exec and compiled functions: the return values, the error print function,
 * oxbpf_last_trap's fields; the instruction budget; the unwind helper; bounds checks. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

static char printed[512];
static int prints;

static int capture(FILE *stream, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(printed, sizeof(printed), format, ap);
    va_end(ap);
    prints++;
    CHECK(stream == stderr);
    return n;
}

/* r0 = *(u64 *)(r1 + 8): out of bounds for memory shorter than 16 bytes. */
static const struct ebpf_inst load8[] = {
    {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 1, .offset = 8},
    {.opcode = EBPF_OP_EXIT},
};

static void out_of_bounds(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    CHECK(vm != NULL);
    ebpf_set_error_print(vm, capture);
    CHECK(ebpf_load(vm, load8, sizeof(load8), NULL) == 0);
    uint8_t mem[16] = {0};
    mem[8] = 0x2a;
    uint64_t r0 = 0;
    struct oxbpf_trap trap;
    CHECK(oxbpf_last_trap(vm, &trap) == 0);
    CHECK(trap.code == OXBPF_TRAP_NONE);

    CHECK(ebpf_exec(vm, mem, 16, &r0) == 0);
    CHECK_EQ_U64(r0, 0x2a);
    prints = 0;
    CHECK(ebpf_exec(vm, mem, 12, &r0) == -1);
    CHECK(prints == 1);
    CHECK(strstr(printed, "trap at insn 0") != NULL);
    CHECK(strstr(printed, "out-of-bounds read of 8 bytes") != NULL);
    CHECK(oxbpf_last_trap(vm, &trap) == 1);
    CHECK(trap.code == OXBPF_TRAP_OUT_OF_BOUNDS);
    CHECK_EQ_U64(trap.pc, 0);
    CHECK_EQ_U64(trap.addr, (uint64_t)(uintptr_t)mem + 8);
    CHECK_EQ_U64(trap.len, 8);
    CHECK(trap.write == 0);
    CHECK(strcmp(oxbpf_trap_message(trap.code), "out-of-bounds memory access") == 0);

    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL) {
        CHECK_EQ_U64(fn(mem, 16), 0x2a);
        CHECK(oxbpf_last_trap(vm, &trap) == 0);
        prints = 0;
        CHECK_EQ_U64(fn(mem, 15), UINT64_MAX);
        CHECK(prints == 1);
        CHECK(oxbpf_last_trap(vm, &trap) == 1);
        CHECK(trap.code == OXBPF_TRAP_OUT_OF_BOUNDS);
        CHECK_EQ_U64(trap.addr, (uint64_t)(uintptr_t)mem + 8);
    }

    /* Checks off: the compiled code reads what is there (inside mem here, so defined). */
    CHECK(ebpf_toggle_bounds_check(vm, false) == true);
    CHECK(ebpf_toggle_bounds_check(vm, false) == false);
    ebpf_unload_code(vm);
    CHECK(ebpf_load(vm, load8, sizeof(load8), NULL) == 0);
    if (strcmp(name, "interp") != 0) {
        /* 12 bytes declared, 16 really there: without checks the load succeeds. */
        CHECK(ebpf_exec(vm, mem, 12, &r0) == 0);
        CHECK_EQ_U64(r0, 0x2a);
    } else {
        /* The interpreter always checks. */
        CHECK(ebpf_exec(vm, mem, 12, &r0) == -1);
    }
    ebpf_destroy(vm);
}

static void budget(const char *name)
{
    /* An endless loop: r0 += 1; goto 0. */
    static const struct ebpf_inst spin[] = {
        {.opcode = EBPF_OP_ADD64_IMM, .dst = 0, .imm = 1},
        {.opcode = EBPF_OP_JA, .offset = -2},
        {.opcode = EBPF_OP_EXIT},
    };
    struct ebpf_vm *vm = ebpf_create(name);
    ebpf_set_error_print(vm, capture);
    CHECK(oxbpf_set_instruction_budget(vm, 1000) == 0);
    CHECK(ebpf_load(vm, spin, sizeof(spin), NULL) == 0);
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == -1);
    struct oxbpf_trap trap;
    CHECK(oxbpf_last_trap(vm, &trap) == 1);
    CHECK(trap.code == OXBPF_TRAP_BUDGET_EXHAUSTED);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL && fn(NULL, 0) == UINT64_MAX);
    CHECK(oxbpf_last_trap(vm, &trap) == 1 && trap.code == OXBPF_TRAP_BUDGET_EXHAUSTED);
    ebpf_destroy(vm);
}

static int stop_calls;

static uint64_t stop_when_zero(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    (void)b, (void)c, (void)d, (void)e;
    stop_calls++;
    return a;
}

static void unwind(const char *name)
{
    /* call 5 (r1 = first byte); r0 = 77; exit */
    static const struct ebpf_inst code[] = {
        {.opcode = EBPF_OP_LDXB, .dst = 1, .src = 1},
        {.opcode = EBPF_OP_CALL, .imm = 5},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 77},
        {.opcode = EBPF_OP_EXIT},
    };
    struct ebpf_vm *vm = ebpf_create(name);
    CHECK(ebpf_register(vm, 5, "stop_when_zero", (void *)stop_when_zero) == 0);
    CHECK(ebpf_set_unwind_function_index(vm, 5) == 0);
    CHECK(ebpf_load(vm, code, sizeof(code), NULL) == 0);
    uint8_t mem[1] = {1};
    uint64_t r0 = 1;
    stop_calls = 0;
    CHECK(ebpf_exec(vm, mem, 1, &r0) == 0 && r0 == 77);
    mem[0] = 0;
    CHECK(ebpf_exec(vm, mem, 1, &r0) == 0 && r0 == 0);
    CHECK(stop_calls == 2);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL && fn(mem, 1) == 0);
    mem[0] = 9;
    CHECK(fn != NULL && fn(mem, 1) == 77);
    /* The secret is refused once code is loaded. */
    CHECK(ebpf_set_pointer_secret(vm, 0x1234) == -1);
    ebpf_unload_code(vm);
    CHECK(ebpf_set_pointer_secret(vm, 0x1234) == 0);
    /* Unregistered, the helper is unknown at load. */
    CHECK(ebpf_unregister(vm, 5) == 0);
    CHECK(ebpf_unregister(vm, 5) == -1);
    char *errmsg = NULL;
    CHECK(ebpf_load(vm, code, sizeof(code), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "insn 1") != NULL);
    free(errmsg);
    ebpf_destroy(vm);
}

int main(void)
{
    const char *names[] = {"interp", "jit", "aot"};
    for (int i = 0; i < 3; i++) {
        out_of_bounds(names[i]);
        budget(names[i]);
        unwind(names[i]);
    }
    return check_done();
}
