/* Objects in the shapes real tools build, from C: a kprobe reading `__kconfig` externs whose
 * values the host gives (oxbpf_set_kconfig) before ebpf_load_elf, run over pt_regs bytes; map
 * sizes given for a map the object does not have make the load fail naming it; an XDP parser
 * moving its cursor past VLAN tags and IPv4 options, run with oxbpf_exec_packet; a classifier
 * reading its packet's socket (oxbpf_set_socket) and the socket's TCP state; an fexit program
 * following a kernel pointer among its arguments into an object the host put in the same
 * memory, or reading 0 through a null one. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ebpf-vm.h"

int main(void)
{
    size_t tracer_len = 0, parser_len = 0, sockets_len = 0, btf_len = 0;
    uint8_t *btf = read_file(OXBPF_FIXTURES "/../realworld/btf_tracing.o", &btf_len);
    uint8_t *sockets = read_file(OXBPF_FIXTURES "/../realworld/socket_state.o", &sockets_len);
    uint8_t *tracer = read_file(OXBPF_FIXTURES "/../realworld/tracer.o", &tracer_len);
    uint8_t *parser = read_file(OXBPF_FIXTURES "/../realworld/xdp_parser.o", &parser_len);
    CHECK(tracer != NULL && parser != NULL && sockets != NULL && btf != NULL);
    const char *backends[] = {"interp", "jit", "aot"};
    for (int b = 0; b < 3; b++) {
        struct ebpf_vm *vm = ebpf_create(backends[b]);
        CHECK(vm != NULL);
        oxbpf_toggle_verify(vm, true);
        char *errmsg = NULL;
#if defined(__x86_64__)
        /* trace_open returns LINUX_KERNEL_VERSION >= 5.8. */
        uint64_t regs[21] = {0};
        uint64_t r0 = 99;
        CHECK(oxbpf_set_kconfig(vm, "LINUX_KERNEL_VERSION", 0x050f00) == 0);
        CHECK(ebpf_load_elf(vm, tracer, tracer_len, "trace_open", &errmsg) == 0);
        CHECK(ebpf_exec(vm, regs, sizeof(regs), &r0) == 0);
        CHECK_EQ_U64(r0, 1);
        ebpf_unload_code(vm);
        CHECK(oxbpf_set_kconfig(vm, "LINUX_KERNEL_VERSION", 0x040e00) == 0);
        CHECK(ebpf_load_elf(vm, tracer, tracer_len, "trace_open", &errmsg) == 0);
        CHECK(ebpf_exec(vm, regs, sizeof(regs), &r0) == 0);
        CHECK_EQ_U64(r0, 0);
        ebpf_unload_code(vm);
#endif
        /* A kernel symbol: refused by name. */
        CHECK(ebpf_load_elf(vm, tracer, tracer_len, "uses_ksym", &errmsg) != 0);
        CHECK(errmsg != NULL && strstr(errmsg, "bpf_prog_active") != NULL);
        free(errmsg);
        errmsg = NULL;
        CHECK(oxbpf_set_kconfig(vm, NULL, 1) == -1);

        /* VLAN-tagged IPv4 with one option word, UDP to port 53: XDP_PASS; to 54: XDP_DROP. */
        CHECK(ebpf_load_elf(vm, parser, parser_len, NULL, &errmsg) == 0);
        uint8_t packet[128];
        for (int port = 53; port <= 54; port++) {
            memset(packet, 0, sizeof(packet));
            packet[12] = 0x81; /* 802.1Q */
            packet[16] = 0x08; /* then IPv4 */
            packet[18] = 0x46; /* version 4, 6 words */
            packet[27] = 17;   /* UDP */
            packet[42 + 2] = 0;
            packet[42 + 3] = (uint8_t)port;
            size_t len = 60;
            uint64_t verdict = 99;
            CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &verdict) == 0);
            CHECK_EQ_U64(verdict, port == 53 ? 2 : 1);
        }
        ebpf_unload_code(vm);

        /* sock_stats: 100 without a socket, the TCP congestion window with one. */
        CHECK(ebpf_load_elf(vm, sockets, sockets_len, "sock_stats", &errmsg) == 0);
        uint8_t sock[80] = {0}, tcp[4] = {17, 0, 0, 0};
        sock[4] = 2;  /* AF_INET */
        sock[8] = 1;  /* SOCK_STREAM */
        sock[12] = 6; /* IPPROTO_TCP */
        sock[72] = 1; /* TCP_ESTABLISHED */
        for (int with = 0; with <= 1; with++) {
            CHECK(oxbpf_set_socket(vm, with ? sock : NULL, sizeof(sock), tcp, sizeof(tcp)) == 0);
            memset(packet, 0, sizeof(packet));
            size_t len = 60;
            uint64_t verdict = 99;
            CHECK(oxbpf_exec_packet(vm, packet, &len, sizeof(packet), &verdict) == 0);
            CHECK_EQ_U64(verdict, with ? 17 : 100);
        }
        CHECK(oxbpf_set_socket(vm, sock, 81, NULL, 0) == -1);
        CHECK(oxbpf_set_socket(vm, NULL, 0, NULL, 0) == 0);
        ebpf_unload_code(vm);

        /* fexit/vfs_read: (int)(file->f_pos + ret), 0 for an error. The arguments (file
         * first, the return value fifth) and then the struct file (f_pos at byte 32), all in
         * the memory the program runs on. */
        CHECK(ebpf_load_elf(vm, btf, btf_len, "fexit_vfs_read", &errmsg) == 0);
        uint64_t args[13 + 5] = {0};
        struct {
            uint64_t file, ret, want;
        } cases[] = {
            {1, 40, 1000040}, /* the file: f_pos 1000000 */
            {0, 40, 40},      /* a null file reads f_pos as 0 */
            {1, (uint64_t)-5, 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            memset(args, 0, sizeof(args));
            args[13 + 4] = 1000000;
            args[0] = cases[i].file ? (uint64_t)(uintptr_t)&args[13] : 0;
            args[4] = cases[i].ret;
            uint64_t r0 = 99;
            CHECK(ebpf_exec(vm, args, sizeof(args), &r0) == 0);
            CHECK_EQ_U64(r0, cases[i].want);
        }
        ebpf_unload_code(vm);

        /* A size for a map the object does not define: the load fails naming it. */
        CHECK(oxbpf_set_map_size(vm, "no_such_map", 8, 0) == 0);
        CHECK(ebpf_load_elf(vm, parser, parser_len, NULL, &errmsg) != 0);
        CHECK(errmsg != NULL && strstr(errmsg, "no_such_map") != NULL);
        free(errmsg);
        ebpf_destroy(vm);
    }
    free(tracer);
    free(parser);
    free(sockets);
    free(btf);
    return check_done();
}
