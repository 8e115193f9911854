/* The smallest C host: load a program that doubles the first byte of its memory, compile it
 * with the JIT, call it. Build and run: make -C examples/c run */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ebpf-vm.h"

int main(void)
{
    /* r0 = *(u8 *)(r1 + 0); r0 *= 2; exit */
    const struct ebpf_inst code[] = {
        {.opcode = EBPF_OP_LDXB, .dst = 0, .src = 1, .offset = 0, .imm = 0},
        {.opcode = EBPF_OP_MUL64_IMM, .dst = 0, .src = 0, .offset = 0, .imm = 2},
        {.opcode = EBPF_OP_EXIT, .dst = 0, .src = 0, .offset = 0, .imm = 0},
    };
    char *errmsg = NULL;
    struct ebpf_vm *vm = ebpf_create("jit");
    if (vm == NULL || ebpf_load(vm, code, sizeof(code), &errmsg) < 0) {
        fprintf(stderr, "load: %s\n", errmsg ? errmsg : "no VM");
        free(errmsg);
        ebpf_destroy(vm);
        return 1;
    }
    ebpf_jit_fn fn = ebpf_compile(vm, &errmsg);
    if (fn == NULL) {
        fprintf(stderr, "compile: %s\n", errmsg);
        free(errmsg);
        ebpf_destroy(vm);
        return 1;
    }
    uint8_t packet[] = {21, 0, 0, 0};
    printf("%#llx\n", (unsigned long long)fn(packet, sizeof(packet)));
    ebpf_destroy(vm);
    return 0;
}
