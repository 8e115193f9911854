/* A host as written against bpftime's ebpf-vm.h: register a helper, load a program that calls
 * it with the first byte of its memory, run it with ebpf_exec. Nothing here is oxbpf-specific. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ebpf-vm.h"

static uint64_t triple_plus(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    return a * 3 + b + c + d + e;
}

int main(void)
{
    struct ebpf_inst code[] = {
        /* r1 = *(u8 *)(r1 + 0); r2 = 1; r3 = 2; r4 = 3; r5 = 4; call 7; exit */
        {.opcode = EBPF_OP_LDXB, .dst = 1, .src = 1, .offset = 0, .imm = 0},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .src = 0, .offset = 0, .imm = 1},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 3, .src = 0, .offset = 0, .imm = 2},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 4, .src = 0, .offset = 0, .imm = 3},
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 5, .src = 0, .offset = 0, .imm = 4},
        {.opcode = EBPF_OP_CALL, .dst = 0, .src = 0, .offset = 0, .imm = 7},
        {.opcode = EBPF_OP_EXIT, .dst = 0, .src = 0, .offset = 0, .imm = 0},
    };
    char *errmsg = NULL;
    struct ebpf_vm *vm = ebpf_create("llvm");
    if (vm == NULL)
        return 1;
    if (ebpf_register(vm, 7, "triple_plus", (void *)triple_plus) < 0) {
        ebpf_destroy(vm);
        return 1;
    }
    if (ebpf_load(vm, code, sizeof(code), &errmsg) < 0) {
        fprintf(stderr, "load: %s\n", errmsg);
        free(errmsg);
        ebpf_destroy(vm);
        return 1;
    }
    uint8_t mem[4] = {20, 0, 0, 0};
    uint64_t ret = 0;
    int rc = ebpf_exec(vm, mem, sizeof(mem), &ret);
    printf("exec: rc %d, r0 %llu\n", rc, (unsigned long long)ret);
    ebpf_destroy(vm);
    return rc == 0 && ret == 20 * 3 + 1 + 2 + 3 + 4 ? 0 : 1;
}
