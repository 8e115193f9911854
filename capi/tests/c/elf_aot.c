/* ELF objects (clang-built, with maps) and AOT objects from C: load, run, reach the object's
 * maps by name; compile to an object, free it, load it into another VM and call it. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

struct event {
    uint32_t len;
    uint32_t first;
};

static int events_seen;
static struct event last_event;

static void on_event(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    CHECK(len == sizeof(struct event));
    memcpy(&last_event, data, sizeof(last_event));
    events_seen++;
}

static void elf(const char *name, const uint8_t *obj, size_t obj_len)
{
    struct ebpf_vm *vm = ebpf_create(name);
    char *errmsg = NULL;
    /* count_packets reads the context of its SEC("xdp") as raw memory. */
    CHECK(oxbpf_set_program_type(vm, OXBPF_PROG_TYPE_RAW) == 0);
    CHECK(ebpf_load_elf(vm, obj, obj_len, "count_packets", &errmsg) == 0);
    if (errmsg) {
        fprintf(stderr, "%s: %s\n", name, errmsg);
        free(errmsg);
        errmsg = NULL;
    }
    uint8_t ctx[8] = {0};
    uint64_t r0 = 0;
    for (uint32_t len = 10; len < 13; len++) {
        memcpy(ctx, &len, 4);
        ctx[4] = (uint8_t)(len + 100);
        CHECK(ebpf_exec(vm, ctx, sizeof(ctx), &r0) == 0);
        CHECK_EQ_U64(r0, len * 3); /* .rodata scale = 3 */
    }
    uint64_t counts, events;
    CHECK(oxbpf_map_find(vm, "counts", &counts) == 0);
    CHECK(oxbpf_map_find(vm, "events", &events) == 0);
    uint32_t key = 11;
    uint64_t n = 0;
    CHECK(oxbpf_map_lookup(vm, counts, &key, &n, sizeof(n)) == 0);
    CHECK_EQ_U64(n, 1);
    events_seen = 0;
    CHECK(oxbpf_ringbuf_drain(vm, events, on_event, NULL) == 3);
    CHECK(events_seen == 3);
    CHECK(last_event.len == 12 && last_event.first == 112);

    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn != NULL) {
        key = 40;
        memcpy(ctx, &key, 4);
        CHECK_EQ_U64(fn(ctx, sizeof(ctx)), 120);
        CHECK(oxbpf_map_lookup(vm, counts, &key, &n, sizeof(n)) == 0 && n == 1);
    }

    /* Unloading drops the object's maps. */
    ebpf_unload_code(vm);
    CHECK(oxbpf_map_find(vm, "counts", &counts) == -ENOENT);
    CHECK(oxbpf_map_lookup(vm, events, &key, &n, sizeof(n)) == -ENOENT);

    /* The first program when none is named; an unknown name; not an ELF object. */
    CHECK(ebpf_load_elf(vm, obj, obj_len, NULL, NULL) == 0);
    ebpf_unload_code(vm);
    CHECK(ebpf_load_elf(vm, obj, obj_len, "no_such_program", &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "no_such_program") != NULL);
    free(errmsg);
    CHECK(ebpf_load_elf(vm, obj, 100, "count_packets", &errmsg) == -1);
    CHECK(errmsg != NULL && strlen(errmsg) > 0);
    free(errmsg);
    CHECK(ebpf_load_elf(vm, NULL, 10, NULL, &errmsg) == -1);
    free(errmsg);
    ebpf_destroy(vm);
}

static uint64_t add_ten(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    (void)b, (void)c, (void)d, (void)e;
    return a + 10;
}

static int reports;

static int count_reports(FILE *stream, const char *format, ...)
{
    (void)stream, (void)format;
    reports++;
    return 0;
}

static void aot(const char *name)
{
    /* r1 = *(u32 *)mem; call 3 (add_ten); r0 *= 2; exit */
    static const struct ebpf_inst code[] = {
        {.opcode = EBPF_OP_LDXW, .dst = 1, .src = 1},
        {.opcode = EBPF_OP_CALL, .imm = 3},
        {.opcode = EBPF_OP_MUL64_IMM, .dst = 0, .imm = 2},
        {.opcode = EBPF_OP_EXIT},
    };
    struct ebpf_vm *vm = ebpf_create(name);
    CHECK(ebpf_register(vm, 3, "add_ten", (void *)add_ten) == 0);
    CHECK(ebpf_load(vm, code, sizeof(code), NULL) == 0);
    uint8_t *object = NULL;
    size_t object_len = 0;
    char *errmsg = NULL;
    CHECK(ebpf_aot_compile(vm, &object, &object_len, &errmsg) == 0);
    CHECK(errmsg == NULL);
    CHECK(object != NULL && object_len > 64);
    CHECK(object != NULL && memcmp(object, "\177ELF", 4) == 0);
    ebpf_destroy(vm);

    /* Another VM, with the helper, loads it. */
    struct ebpf_vm *vm2 = ebpf_create("aot");
    ebpf_set_error_print(vm2, count_reports);
    reports = 0;
    CHECK(ebpf_register(vm2, 3, "add_ten", (void *)add_ten) == 0);
    ebpf_jit_fn fn = ebpf_load_aot_object(vm2, object, object_len);
    CHECK(fn != NULL);
    uint32_t x = 5;
    if (fn != NULL)
        CHECK_EQ_U64(fn(&x, 4), 30);
    uint64_t r0 = 0;
    CHECK(ebpf_exec(vm2, &x, 4, &r0) == 0);
    CHECK_EQ_U64(r0, 30);
    /* Occupied, then a corrupted object. */
    CHECK(ebpf_load_aot_object(vm2, object, object_len) == NULL);
    ebpf_unload_code(vm2);
    object[object_len / 2] ^= 0xff;
    CHECK(ebpf_load_aot_object(vm2, object, object_len) == NULL);
    CHECK(ebpf_load_aot_object(vm2, object, 10) == NULL);
    CHECK(ebpf_load_aot_object(vm2, NULL, 0) == NULL);
    CHECK(reports == 4);
    free(object);
    ebpf_destroy(vm2);

    /* Without code, or with NULL out-pointers, nothing is compiled. */
    struct ebpf_vm *vm3 = ebpf_create(name);
    CHECK(ebpf_aot_compile(vm3, &object, &object_len, &errmsg) == -1);
    CHECK(errmsg != NULL && strstr(errmsg, "no code") != NULL);
    free(errmsg);
    CHECK(ebpf_load(vm3, code, sizeof(code), NULL) == -1); /* helper 3 unknown here */
    CHECK(ebpf_register(vm3, 3, "add_ten", (void *)add_ten) == 0);
    CHECK(ebpf_load(vm3, code, sizeof(code), NULL) == 0);
    CHECK(ebpf_aot_compile(vm3, NULL, &object_len, NULL) == -1);
    ebpf_destroy(vm3);
}


int main(void)
{
    size_t obj_len = 0;
    uint8_t *obj = read_file(OXBPF_FIXTURES "/maps-clang19-v4.o", &obj_len);
    CHECK(obj != NULL);
    if (obj == NULL)
        return check_done();
    elf("interp", obj, obj_len);
    elf("jit", obj, obj_len);
    elf("aot", obj, obj_len);
    free(obj);
    aot("interp");
    aot("jit");
    return check_done();
}
