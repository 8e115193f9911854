/* One VM shared by four threads: ebpf_exec and the compiled function run concurrently with
 * each other and with map reads from the host; every atomic update is counted. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

#define THREADS 4
#define RUNS 2000

/* lock *(u64 *)(value of array map 0 + 0) += 1; r0 = 1 */
static const struct ebpf_inst bump[] = {
    {.opcode = EBPF_OP_LDDW, .dst = 1, .src = 2, .imm = 0}, {.imm = 0},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 2, .imm = 1},
    {.opcode = EBPF_CLS_STX | EBPF_MODE_ATOMIC | EBPF_SIZE_DW, .dst = 1, .src = 2, .imm = 0},
    {.opcode = EBPF_OP_MOV64_IMM, .dst = 0, .imm = 1},
    {.opcode = EBPF_OP_EXIT},
};

struct job {
    struct ebpf_vm *vm;
    ebpf_jit_fn fn;
    int use_fn;
    int ok;
};

static void *worker(void *arg)
{
    struct job *job = arg;
    job->ok = 0;
    for (int i = 0; i < RUNS; i++) {
        uint64_t r0 = 0;
        if (job->use_fn)
            r0 = job->fn(NULL, 0);
        else if (ebpf_exec(job->vm, NULL, 0, &r0) != 0)
            r0 = 0;
        job->ok += r0 == 1;
    }
    return NULL;
}

static void run(const char *name)
{
    struct ebpf_vm *vm = ebpf_create(name);
    uint64_t counter;
    CHECK(oxbpf_map_create(vm, "counter", OXBPF_MAP_ARRAY, 4, 8, 1, 0, &counter, NULL) == 0);
    char *errmsg = NULL;
    CHECK(ebpf_load(vm, bump, sizeof(bump), &errmsg) == 0);
    if (errmsg) {
        fprintf(stderr, "%s\n", errmsg);
        free(errmsg);
    }
    ebpf_jit_fn fn = ebpf_compile(vm, NULL);
    CHECK(fn != NULL);
    if (fn == NULL) {
        ebpf_destroy(vm);
        return;
    }
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (struct job){.vm = vm, .fn = fn, .use_fn = t % 2};
        CHECK(pthread_create(&threads[t], NULL, worker, &jobs[t]) == 0);
    }
    uint32_t zero = 0;
    uint64_t seen = 0, value = 0;
    for (int i = 0; i < 100; i++) {
        CHECK(oxbpf_map_lookup(vm, counter, &zero, &value, sizeof(value)) == 0);
        CHECK(value >= seen); /* never goes back */
        seen = value;
    }
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        CHECK(jobs[t].ok == RUNS);
    }
    CHECK(oxbpf_map_lookup(vm, counter, &zero, &value, sizeof(value)) == 0);
    CHECK_EQ_U64(value, THREADS * RUNS);
    ebpf_destroy(vm);
}

int main(void)
{
    run("interp");
    run("jit");
    run("aot");
    return check_done();
}
