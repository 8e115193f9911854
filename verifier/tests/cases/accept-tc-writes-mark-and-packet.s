# accept
# context: type sched_cls
# A traffic-control program sets `skb->mark` and writes the first packet byte it checked.
mov %r2, 7
stxw [%r1+8], %r2
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +1
stb [%r2], 1
mov %r0, 0
exit
