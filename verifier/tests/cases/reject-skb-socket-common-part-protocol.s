# reject: insn 3: r6 = sock_common: bytes 8..24 of bpf_sock (type, protocol, mark, priority) are not in a socket's common part
# context: type sched_cls
ldxdw %r6, [%r1+168]
mov %r0, 0
jeq %r6, 0, +1
ldxw %r0, [%r6+12]
exit
