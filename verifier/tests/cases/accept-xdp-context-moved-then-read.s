# accept
# context: type xdp
# A context pointer moved by a constant still reaches the packet pointers (the rewritten load
# keeps its base).
mov %r6, %r1
add %r6, 4
ldxw %r2, [%r1+0]
ldxw %r3, [%r6+0]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +2
ldxb %r0, [%r2]
exit
mov %r0, 1
exit
