/* Hostile and careless input: NULL everywhere, handles that are not VMs (never created,
 * destroyed), unknown backend names, garbage code, code too long, wrong lengths. Every call
 * returns its error; nothing crashes. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

static uint64_t h(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    return a + b + c + d + e;
}

/* Every entry point with a VM handle that is not one. */
static void not_a_vm(struct ebpf_vm *vm)
{
    static const struct ebpf_inst ret0[] = {{.opcode = EBPF_OP_MOV64_IMM}, {.opcode = EBPF_OP_EXIT}};
    char *errmsg = NULL;
    uint64_t r0 = 7, handle = 0;
    uint8_t *object = NULL;
    size_t object_len = 0;
    struct oxbpf_trap trap;
    struct oxbpf_map_info info;
    CHECK(ebpf_get_vm_name(vm) == NULL);
    CHECK(ebpf_toggle_bounds_check(vm, true) == false);
    CHECK(oxbpf_toggle_verify(vm, true) == false);
    ebpf_set_error_print(vm, NULL);
    CHECK(ebpf_register(vm, 1, "h", (void *)h) == -1);
    CHECK(ebpf_unregister(vm, 1) == -1);
    CHECK(ebpf_load(vm, ret0, sizeof(ret0), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "not a live VM") != NULL);
    free(errmsg);
    CHECK(ebpf_load_elf(vm, ret0, sizeof(ret0), NULL, NULL) == -1);
    ebpf_unload_code(vm);
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == -1);
    CHECK(r0 == 7);
    CHECK(ebpf_compile(vm, NULL) == NULL);
    CHECK(ebpf_set_unwind_function_index(vm, 1) == -1);
    CHECK(ebpf_set_pointer_secret(vm, 1) == -1);
    ebpf_set_lddw_helpers(vm, NULL, NULL, NULL, NULL, NULL);
    CHECK(ebpf_aot_compile(vm, &object, &object_len, NULL) == -1);
    CHECK(object == NULL);
    CHECK(ebpf_load_aot_object(vm, ret0, sizeof(ret0)) == NULL);
    CHECK(oxbpf_verify(vm, ret0, sizeof(ret0), NULL) == -1);
    CHECK(oxbpf_set_instruction_budget(vm, 10) == -1);
    CHECK(oxbpf_last_trap(vm, &trap) == -1);
    CHECK(oxbpf_map_create(vm, "m", OXBPF_MAP_ARRAY, 4, 4, 1, 0, &handle, NULL) < 0);
    CHECK(oxbpf_map_find(vm, "m", &handle) < 0);
    CHECK(oxbpf_map_info(vm, 1, &info) < 0);
    ebpf_destroy(vm);
}

int main(void)
{
    /* Handles that are not VMs. */
    not_a_vm(NULL);
    int on_stack = 0;
    not_a_vm((struct ebpf_vm *)&on_stack);
    not_a_vm((struct ebpf_vm *)(uintptr_t)0xdeadbeef);
    struct ebpf_vm *gone = ebpf_create("jit");
    CHECK(gone != NULL);
    ebpf_destroy(gone);
    not_a_vm(gone);
    ebpf_destroy(gone);

    /* Unknown backends. */
    CHECK(ebpf_create("nope") == NULL);
    CHECK(ebpf_create("interp ") == NULL);
    CHECK(ebpf_create("\xff\xfe") == NULL);

    struct ebpf_vm *vm = ebpf_create("jit");
    char *errmsg = NULL;
    uint64_t r0 = 0;

    /* NULL and empty code, lengths that are not whole instructions. */
    CHECK(ebpf_load(vm, NULL, 16, &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "NULL") != NULL);
    free(errmsg);
    CHECK(ebpf_load(vm, NULL, 0, &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "empty") != NULL);
    free(errmsg);
    static const struct ebpf_inst ret1[] = {{.opcode = EBPF_OP_MOV64_IMM, .imm = 1}, {.opcode = EBPF_OP_EXIT}};
    CHECK(ebpf_load(vm, ret1, 12, &errmsg) == -1);
    CHECK(errmsg != NULL && strlen(errmsg) > 0);
    free(errmsg);
    CHECK(ebpf_load(vm, ret1, 8, &errmsg) == -1); /* falls off the end */
    CHECK(errmsg != NULL && strstr(errmsg, "insn 0") != NULL);
    free(errmsg);
    CHECK(ebpf_load(vm, ret1, sizeof(ret1), NULL) == 0);
    CHECK(ebpf_exec(vm, NULL, 0, &r0) == 0 && r0 == 1);
    CHECK(ebpf_exec(vm, NULL, 5, &r0) == -1);
    CHECK(ebpf_exec(vm, NULL, 0, NULL) == -1);
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL && fn(NULL, 0) == 1);
    ebpf_unload_code(vm);
    ebpf_unload_code(vm);

    /* Garbage: every byte pattern of a few sizes; each either loads or fails with a message. */
    uint8_t garbage[64];
    uint32_t seed = 12345;
    int loaded = 0, refused = 0;
    for (int round = 0; round < 300; round++) {
        for (size_t i = 0; i < sizeof(garbage); i++) {
            seed = seed * 1103515245u + 12345u;
            garbage[i] = (uint8_t)(seed >> 16);
        }
        uint32_t len = (uint32_t)(8 * (1 + round % 8));
        errmsg = NULL;
        if (ebpf_load(vm, garbage, len, &errmsg) == 0) {
            loaded++;
            CHECK(errmsg == NULL);
            ebpf_unload_code(vm);
        } else {
            refused++;
            CHECK(errmsg != NULL && strlen(errmsg) > 0);
            free(errmsg);
        }
    }
    CHECK(refused > 250);
    CHECK(loaded + refused == 300);

    /* Code too long: one more instruction than the limit. */
    size_t n = EBPF_MAX_INSTS + 1;
    struct ebpf_inst *big = calloc(n, sizeof(struct ebpf_inst));
    CHECK(big != NULL);
    if (big != NULL) {
        for (size_t i = 0; i < n - 1; i++)
            big[i].opcode = EBPF_OP_MOV64_IMM;
        big[n - 1].opcode = EBPF_OP_EXIT;
        CHECK(ebpf_load(vm, big, (uint32_t)(n * sizeof(struct ebpf_inst)), &errmsg) == -1);
        CHECK(errmsg != NULL && strstr(errmsg, "1000001") != NULL);
        free(errmsg);
        /* At the limit it loads. */
        big[n - 2].opcode = EBPF_OP_EXIT;
        CHECK(ebpf_load(vm, big, (uint32_t)((n - 1) * sizeof(struct ebpf_inst)), NULL) == 0);
        ebpf_unload_code(vm);
        free(big);
    }

    /* Helpers: NULL function, NULL name (allowed), bad index to unregister. */
    CHECK(ebpf_register(vm, 1, "h", NULL) == -1);
    CHECK(ebpf_register(vm, 1, NULL, (void *)h) == 0);
    CHECK(ebpf_unregister(vm, 2) == -1);
    CHECK(ebpf_unregister(vm, 1) == 0);

    /* NULL out-pointers. */
    CHECK(oxbpf_last_trap(vm, NULL) == -1);
    CHECK(strcmp(oxbpf_trap_message(0), "no trap") == 0);
    CHECK(strcmp(oxbpf_trap_message(99), "unknown trap code") == 0);
    CHECK(strcmp(oxbpf_trap_message(2), "instruction budget exhausted") == 0);
    ebpf_destroy(vm);
    return check_done();
}
