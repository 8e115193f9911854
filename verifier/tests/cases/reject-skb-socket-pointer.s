# reject: `sk` points to a kernel object, which programs here cannot reach
# context: type sched_cls
ldxdw %r2, [%r1+168]
mov %r0, 0
exit
