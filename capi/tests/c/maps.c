/* Maps from C: created by the host and used by raw bytecode through the standard helpers and
 * lddw by position; iterated, updated, deleted; a ring buffer drained; bad handles. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

#define LDDW(dst_, src_, imm_)                                                      \
    {.opcode = EBPF_OP_LDDW, .dst = dst_, .src = src_, .imm = imm_}, { .imm = 0 }

/* counts[*(u32 *)mem] += 1 (inserting 1 when absent); returns the new count. Map 0 = counts. */
static const struct ebpf_inst count_key[] = {
    /* key on the stack */
    {.opcode = EBPF_OP_LDXW, .dst = 6, .src = 1, .offset = 0},
    {.opcode = EBPF_OP_STXW, .dst = 10, .src = 6, .offset = -4},
    LDDW(1, 1, 0),
    {.opcode = EBPF_OP_MOV64_REG, .dst = 2, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 2, .imm = -4},
    {.opcode = EBPF_OP_CALL, .imm = 1}, /* map_lookup_elem */
    {.opcode = EBPF_OP_JEQ_IMM, .dst = 0, .offset = 5, .imm = 0},
    {.opcode = EBPF_OP_LDXDW, .dst = 1, .src = 0},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 1, .imm = 1},
    {.opcode = EBPF_OP_STXDW, .dst = 0, .src = 1},
    {.opcode = EBPF_OP_MOV64_REG, .dst = 0, .src = 1},
    {.opcode = EBPF_OP_EXIT},
    /* absent: value 1 on the stack, map_update_elem(counts, &key, &value, BPF_NOEXIST) */
    {.opcode = EBPF_OP_STDW, .dst = 10, .offset = -16, .imm = 1},
    LDDW(1, 1, 0),
    {.opcode = EBPF_OP_MOV64_REG, .dst = 2, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 2, .imm = -4},
    {.opcode = EBPF_OP_MOV64_REG, .dst = 3, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 3, .imm = -16},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 4, .imm = 1},
    {.opcode = EBPF_OP_CALL, .imm = 2}, /* map_update_elem */
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 1},
    {.opcode = EBPF_OP_EXIT},
};

/* *(u64 *)(value of map 1 + 8) += first byte of mem, through lddw map_value; then emits the
 * first byte into ring buffer map 2 with ringbuf_output (130); returns the sum. */
static const struct ebpf_inst add_total[] = {
    {.opcode = EBPF_OP_LDXB, .dst = 6, .src = 1},
    LDDW(7, 2, 1),
    {.opcode = EBPF_OP_LDXDW, .dst = 0, .src = 7, .offset = 8},
    {.opcode = EBPF_OP_ADD64_REG, .dst = 0, .src = 6},
    {.opcode = EBPF_OP_STXDW, .dst = 7, .src = 0, .offset = 8},
    {.opcode = EBPF_OP_MOV64_REG, .dst = 8, .src = 0},
    {.opcode = EBPF_OP_STXDW, .dst = 10, .src = 6, .offset = -8},
    LDDW(1, 5, 2),
    {.opcode = EBPF_OP_MOV64_REG, .dst = 2, .src = 10},
    {.opcode = EBPF_OP_ADD64_IMM, .dst = 2, .imm = -8},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 3, .imm = 8},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 4, .imm = 0},
    {.opcode = EBPF_OP_CALL, .imm = 130},
    {.opcode = EBPF_OP_MOV64_REG, .dst = 0, .src = 8},
    {.opcode = EBPF_OP_EXIT},
};

static uint64_t drained_sum;
static int drained;

static void on_record(void *ctx, const void *data, size_t len)
{
    CHECK(ctx == &drained_sum);
    CHECK(len == 8);
    uint64_t v;
    memcpy(&v, data, sizeof(v));
    drained_sum += v;
    drained++;
}

static void run(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    uint64_t counts, totals, events, found;
    char *errmsg = NULL;
    CHECK(oxbpf_map_create(vm, "counts", OXBPF_MAP_HASH, 4, 8, 16, 0, &counts, &errmsg) == 0);
    CHECK(errmsg == NULL);
    CHECK(oxbpf_map_create(vm, "totals", OXBPF_MAP_ARRAY, 4, 16, 1, 0, &totals, NULL) == 0);
    CHECK(oxbpf_map_create(vm, "events", OXBPF_MAP_RINGBUF, 0, 0, 4096, 0, &events, NULL) == 0);
    /* Refused: a second map of that name, a bad type, a zero key size for a hash. */
    CHECK(oxbpf_map_create(vm, "counts", OXBPF_MAP_HASH, 4, 8, 16, 0, &found, &errmsg) == -EINVAL);
    CHECK(errmsg != NULL && strstr(errmsg, "counts") != NULL);
    free(errmsg);
    CHECK(oxbpf_map_create(vm, "x", 999, 4, 8, 16, 0, &found, NULL) == -EINVAL);
    CHECK(oxbpf_map_create(vm, "y", OXBPF_MAP_HASH, 0, 8, 16, 0, &found, NULL) == -EINVAL);
    CHECK(oxbpf_map_find(vm, "totals", &found) == 0 && found == totals);
    CHECK(oxbpf_map_find(vm, "nope", &found) == -ENOENT);

    struct oxbpf_map_info info;
    CHECK(oxbpf_map_info(vm, counts, &info) == 0);
    CHECK(info.type == OXBPF_MAP_HASH && info.key_size == 4 && info.value_size == 8);
    CHECK(info.max_entries == 16 && info.lookup_size == 8);

    CHECK(ebpf_load(vm, count_key, sizeof(count_key), &errmsg) == 0);
    if (errmsg) {
        fprintf(stderr, "%s\n", errmsg);
        free(errmsg);
    }
    uint64_t r0 = 0;
    uint32_t keys[] = {5, 9, 5, 5, 9, 1};
    for (int i = 0; i < 6; i++) {
        CHECK(ebpf_exec(vm, &keys[i], 4, &r0) == 0);
    }
    CHECK_EQ_U64(r0, 1);
    uint32_t k = 5;
    uint64_t v = 0;
    CHECK(oxbpf_map_lookup(vm, counts, &k, &v, sizeof(v)) == 0);
    CHECK_EQ_U64(v, 3);
    CHECK(oxbpf_map_lookup(vm, counts, &k, &v, 4) == -ENOSPC);
    k = 9;
    CHECK(oxbpf_map_lookup(vm, counts, &k, &v, sizeof(v)) == 0);
    CHECK_EQ_U64(v, 2);

    /* Iterate: every key once, then -ENOENT. */
    uint32_t cur, next;
    int n = 0;
    uint32_t seen = 0;
    const uint32_t *prev = NULL;
    while (oxbpf_map_next_key(vm, counts, prev, &next) == 0 && n < 10) {
        seen |= 1u << next;
        cur = next;
        prev = &cur;
        n++;
    }
    CHECK(n == 3);
    CHECK(seen == ((1u << 1) | (1u << 5) | (1u << 9)));

    /* The host updates and deletes; the program sees it. */
    k = 9;
    v = 100;
    CHECK(oxbpf_map_update(vm, counts, &k, &v, sizeof(v), OXBPF_EXIST) == 0);
    CHECK(ebpf_exec(vm, &k, 4, &r0) == 0);
    CHECK_EQ_U64(r0, 101);
    CHECK(oxbpf_map_update(vm, counts, &k, &v, sizeof(v), OXBPF_NOEXIST) == -EEXIST);
    CHECK(oxbpf_map_delete(vm, counts, &k) == 0);
    CHECK(oxbpf_map_delete(vm, counts, &k) == -ENOENT);
    CHECK(oxbpf_map_lookup(vm, counts, &k, &v, sizeof(v)) == -ENOENT);
    CHECK(ebpf_exec(vm, &k, 4, &r0) == 0);
    CHECK_EQ_U64(r0, 1);
    CHECK(oxbpf_map_delete(vm, totals, &k) == -EINVAL);

    /* Map values and ring buffer by position, from a compiled function. */
    ebpf_unload_code(vm);
    CHECK(ebpf_load(vm, add_total, sizeof(add_total), &errmsg) == 0);
    if (errmsg) {
        fprintf(stderr, "%s\n", errmsg);
        free(errmsg);
    }
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    uint8_t byte = 0;
    uint64_t expect = 0;
    for (int i = 1; fn != NULL && i <= 10; i++) {
        byte = (uint8_t)(i * 3);
        expect += byte;
        CHECK_EQ_U64(fn(&byte, 1), expect);
    }
    uint8_t value[16];
    uint32_t zero = 0;
    CHECK(oxbpf_map_lookup(vm, totals, &zero, value, sizeof(value)) == 0);
    memcpy(&v, value + 8, 8);
    CHECK_EQ_U64(v, expect);
    drained_sum = 0;
    drained = 0;
    CHECK(oxbpf_ringbuf_drain(vm, events, on_record, &drained_sum) == 10);
    CHECK(drained == 10);
    CHECK_EQ_U64(drained_sum, expect);
    CHECK(oxbpf_ringbuf_drain(vm, events, on_record, &drained_sum) == 0);
    CHECK(oxbpf_ringbuf_drain(vm, counts, on_record, NULL) == -EINVAL);
    CHECK(oxbpf_ringbuf_drain(vm, events, NULL, NULL) == -EINVAL);

    /* Bad handles and arguments. */
    CHECK(oxbpf_map_lookup(vm, 12345, &zero, value, sizeof(value)) == -ENOENT);
    CHECK(oxbpf_map_lookup(NULL, totals, &zero, value, sizeof(value)) == -ENOENT);
    CHECK(oxbpf_map_lookup(vm, totals, NULL, value, sizeof(value)) == -EINVAL);
    CHECK(oxbpf_map_lookup(vm, totals, &zero, NULL, 16) == -EINVAL);
    CHECK(oxbpf_map_update(vm, totals, &zero, NULL, 16, 0) == -EINVAL);
    CHECK(oxbpf_map_update(vm, totals, &zero, value, 3, 0) == -EINVAL);
    CHECK(oxbpf_map_next_key(vm, totals, NULL, NULL) == -EINVAL);
    CHECK(oxbpf_map_info(vm, totals, NULL) == -EINVAL);
    CHECK(oxbpf_map_find(vm, NULL, &found) == -EINVAL);
    CHECK(oxbpf_map_create(NULL, "z", OXBPF_MAP_ARRAY, 4, 4, 1, 0, &found, NULL) == -EINVAL);
    CHECK(oxbpf_map_create(vm, "z", OXBPF_MAP_ARRAY, 4, 4, 1, 0, NULL, NULL) == -EINVAL);

    /* An lddw naming a map that does not exist does not load. */
    ebpf_unload_code(vm);
    static const struct ebpf_inst bad_map[] = {LDDW(0, 1, 7), {.opcode = EBPF_OP_EXIT}};
    CHECK(ebpf_load(vm, bad_map, sizeof(bad_map), &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "insn 0") != NULL && strstr(errmsg, "map 7") != NULL);
    free(errmsg);
    ebpf_destroy(vm);
}

int main(void)
{
    run("interp");
    run("jit");
    run("aot");
    return check_done();
}
