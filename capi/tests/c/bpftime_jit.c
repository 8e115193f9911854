/* A host as written against bpftime's ebpf-vm.h: create "llvm" (and "jit"), load two
 * instructions, compile, call the function, destroy. Nothing here is oxbpf-specific. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf-vm.h"

static int run(const char *name)
{
    struct ebpf_inst code[] = {
        {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .src = 0, .offset = 0, .imm = 42},
        {.opcode = EBPF_OP_EXIT, .dst = 0, .src = 0, .offset = 0, .imm = 0},
    };
    char *errmsg = NULL;
    struct ebpf_vm *vm = ebpf_create(name);
    if (vm == NULL) {
        fprintf(stderr, "ebpf_create(%s) failed\n", name);
        return 1;
    }
    if (ebpf_load(vm, code, sizeof(code), &errmsg) < 0) {
        fprintf(stderr, "load: %s\n", errmsg);
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
    char mem[16];
    memset(mem, 0, sizeof(mem));
    uint64_t ret = fn(mem, sizeof(mem));
    printf("%s: %llu\n", name, (unsigned long long)ret);
    ebpf_destroy(vm);
    return ret == 42 ? 0 : 1;
}

int main(void)
{
    return run("llvm") | run("jit");
}
