# reject: may read through a number, as through a kernel pointer, but not write
# context: type tracing
ldxdw %r2, [%r1+0]
stw [%r2+0], 1
mov %r0, 0
exit
