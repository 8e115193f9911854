/* Program types from C: a clang-built XDP firewall loaded from its ELF object (its SEC("xdp")
 * gives its type), run over packets with oxbpf_exec_packet, which prints its verdicts; the same
 * program forced over raw memory is refused by the verifier; a bad type is refused. A program
 * calling a Linux helper no one implements (bpf_fib_lookup) does not load, unless the host lets
 * it trap instead. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

/* An Ethernet + IPv4 + UDP frame to `port`. */
static size_t udp_frame(uint8_t *f, uint16_t port)
{
    memset(f, 0, 64);
    f[12] = 0x08; /* IPv4 */
    f[14] = 0x45; /* version 4, 5 words */
    f[22] = 64;   /* TTL */
    f[23] = 17;   /* UDP */
    f[36] = (uint8_t)(port >> 8);
    f[37] = (uint8_t)port;
    return 60;
}

int main(void)
{
    size_t obj_len = 0;
    uint8_t *obj = read_file(OXBPF_FIXTURES "/../progtypes/xdp_firewall.o", &obj_len);
    CHECK(obj != NULL);
    const char *backends[] = {"interp", "jit", "aot"};
    for (int b = 0; b < 3; b++) {
        struct ebpf_vm *vm = ebpf_create(backends[b]);
        CHECK(vm != NULL);
        CHECK(oxbpf_toggle_verify(vm, true) == false);
        char *errmsg = NULL;
        CHECK(ebpf_load_elf(vm, obj, obj_len, "xdp_firewall", &errmsg) == 0);
        uint8_t packet[128];
        size_t len = udp_frame(packet, 53);
        uint64_t r0 = 0;
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == 0);
        CHECK(r0 == 2); /* XDP_PASS */
        CHECK(len == 60);
        len = udp_frame(packet, 54);
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == 0);
        CHECK(r0 == 1); /* XDP_DROP */
        len = 10;
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == 0);
        CHECK(r0 == 0); /* XDP_ABORTED: shorter than Ethernet */
        /* A length past the buffer, and no return slot: refused. */
        len = sizeof(packet) + 1;
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == -1);
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), NULL) == -1);
        ebpf_unload_code(vm);

        /* Forced over raw memory, the program reads its context as bytes: refused. */
        CHECK(oxbpf_set_program_type(vm, OXBPF_PROG_TYPE_RAW) == 0);
        CHECK(ebpf_load_elf(vm, obj, obj_len, "xdp_firewall", &errmsg) != 0);
        CHECK(errmsg != NULL && strstr(errmsg, "verifier") != NULL);
        free(errmsg);
        errmsg = NULL;
        /* Chosen explicitly, it loads again. */
        CHECK(oxbpf_set_program_type(vm, OXBPF_PROG_TYPE_XDP) == 0);
        CHECK(ebpf_load_elf(vm, obj, obj_len, "xdp_firewall", &errmsg) == 0);
        len = udp_frame(packet, 53);
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == 0 && r0 == 2);

        /* fib_lookup(ctx, &params on the stack, 64, 0): no implementation here. */
        static const uint8_t fib[] = {
            0x7a, 0x0a, 0xc0, 0xff, 0, 0, 0, 0, /* *(u64 *)(r10 - 64) = 0 */
            0x7a, 0x0a, 0xc8, 0xff, 0, 0, 0, 0, 0x7a, 0x0a, 0xd0, 0xff, 0, 0, 0, 0,
            0x7a, 0x0a, 0xd8, 0xff, 0, 0, 0, 0, 0x7a, 0x0a, 0xe0, 0xff, 0, 0, 0, 0,
            0x7a, 0x0a, 0xe8, 0xff, 0, 0, 0, 0, 0x7a, 0x0a, 0xf0, 0xff, 0, 0, 0, 0,
            0x7a, 0x0a, 0xf8, 0xff, 0, 0, 0, 0,
            0xbf, 0xa2, 0, 0, 0, 0, 0, 0,       /* r2 = r10 */
            0x07, 0x02, 0, 0, 0xc0, 0xff, 0xff, 0xff, /* r2 += -64 */
            0xb7, 0x03, 0, 0, 64, 0, 0, 0,      /* r3 = 64 */
            0xb7, 0x04, 0, 0, 0, 0, 0, 0,       /* r4 = 0 */
            0x85, 0, 0, 0, 69, 0, 0, 0,         /* call bpf_fib_lookup */
            0xb7, 0, 0, 0, 2, 0, 0, 0,          /* r0 = XDP_PASS */
            0x95, 0, 0, 0, 0, 0, 0, 0,          /* exit */
        };
        ebpf_unload_code(vm);
        CHECK(ebpf_load(vm, fib, sizeof(fib), &errmsg) != 0);
        CHECK(errmsg != NULL && strstr(errmsg, "bpf_fib_lookup") != NULL);
        free(errmsg);
        errmsg = NULL;
        CHECK(oxbpf_trap_missing_helpers(vm, true) == 0);
        CHECK(ebpf_load(vm, fib, sizeof(fib), &errmsg) == 0);
        len = udp_frame(packet, 53);
        CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &r0) == -1);
        struct oxbpf_trap trap;
        CHECK(oxbpf_last_trap(vm, &trap) == 1);
        CHECK(trap.code == OXBPF_TRAP_HELPER_ERROR && trap.helper == 69 && trap.pc == 12);
        CHECK(oxbpf_trap_missing_helpers(NULL, true) == -1);

        CHECK(oxbpf_set_program_type(vm, 999) == -1);
        CHECK(oxbpf_set_program_type(NULL, OXBPF_PROG_TYPE_XDP) == -1);
        ebpf_destroy(vm);
    }
    free(obj);
    return check_done();
}
