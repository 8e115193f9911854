# accept
# context: type tracing
# fentry/tp_btf: the arguments are kernel pointers (numbers here); the program follows them
# with probe loads, sized and signed, through a chain of two.
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+16]
ldxw %r4, [%r3+4]
ldxsb %r5, [%r3+0]
add %r4, %r5
mov %r0, %r4
exit
