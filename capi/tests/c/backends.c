/* Every backend by every name runs the same program to the same result, through ebpf_exec and
 * through the compiled function. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

/* Sums the bytes of mem: a loop bounded by r2 (mem_len). */
static const struct ebpf_inst sum_bytes[] = {
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 0},
    {.opcode = EBPF_OP_JEQ_IMM, .dst = 2, .offset = 5, .imm = 0},
    {.opcode = EBPF_OP_LDXB, .dst = 3, .src = 1, .offset = 0},
    {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 3},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 1, .imm = 1},
    {.opcode = EBPF_OP_SUB64_IMM, .dst = 2, .imm = 1},
    {.opcode = EBPF_OP_JA, .offset = -6},
    {.opcode = EBPF_OP_EXIT},
};

static void backend(const char *name, const char *expect_name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    CHECK(vm != NULL);
    if (vm == NULL)
        return;
    CHECK(strcmp(ebpf_get_vm_name(vm), expect_name) == 0);
    char *errmsg = (char *)1;
    CHECK(ebpf_load(vm, sum_bytes, sizeof(sum_bytes), &errmsg) == 0);
    CHECK(errmsg == NULL);
    uint8_t mem[100];
    uint64_t expect = 0;
    for (int i = 0; i < 100; i++) {
        mem[i] = (uint8_t)(i * 7 + 3);
        expect += mem[i];
    }
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == 0);
    CHECK_EQ_U64(r0, expect);
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == 0);
    CHECK_EQ_U64(r0, 0);

    ebpf_jit_fn fn = ebpf_compile(vm, &errmsg);
    CHECK(fn != NULL);
    CHECK(errmsg == NULL);
    if (fn != NULL) {
        CHECK_EQ_U64(fn(mem, sizeof(mem)), expect);
        CHECK_EQ_U64(fn(mem, 10), 3 + 10 + 17 + 24 + 31 + 38 + 45 + 52 + 59 + 66);
        /* Compiling again gives the same function. */
        CHECK(ebpf_compile(vm, NULL) == fn);
    }

    /* Loading again needs an unload first. */
    CHECK(ebpf_load(vm, sum_bytes, sizeof(sum_bytes), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "ebpf_unload_code") != NULL);
    free(errmsg);
    ebpf_unload_code(vm);
    CHECK(ebpf_exec(vm, mem, sizeof(mem), &r0) == -1);
    CHECK(ebpf_compile(vm, NULL) == NULL);
    CHECK(ebpf_load(vm, sum_bytes, sizeof(sum_bytes), NULL) == 0);
    CHECK(ebpf_exec(vm, mem, 3, &r0) == 0);
    CHECK_EQ_U64(r0, 3 + 10 + 17);
    /* Other code loaded in its place runs at the next ebpf_exec, not the code before. */
    ebpf_unload_code(vm);
    static const uint8_t seven[] = {
        0xb7, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, /* mov r0, 7 */
        0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* exit */
    };
    CHECK(ebpf_load(vm, seven, sizeof(seven), NULL) == 0);
    CHECK(ebpf_exec(vm, mem, 3, &r0) == 0);
    CHECK_EQ_U64(r0, 7);
    ebpf_destroy(vm);
}

int main(void)
{
    backend("interp", "interp");
    backend("jit", "jit");
    backend("aot", "aot");
    backend("", "jit");
    backend(NULL, "jit");
    backend("ubpf", "jit");
    backend("llvm", "jit");
    CHECK(ebpf_create("wasm") == NULL);
    CHECK(ebpf_create("JIT") == NULL);
    return check_done();
}
