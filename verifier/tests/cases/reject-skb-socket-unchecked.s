# reject: insn 1: r2 = sock_common_or_null may be null; compare it with 0 before the access
# context: type sched_cls
ldxdw %r2, [%r1+168]
ldxw %r0, [%r2+4]
exit
