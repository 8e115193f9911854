# accept
# A stack slot and a map value never share an address: `==` is never taken, so the
# store through the (then) null pointer below is never reached.
# map: a 2 4 8
mov %r6, 0
stxw [%r10-4], %r6
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, +5
mov %r3, %r10
add %r3, -16
jne %r0, %r3, +2
mov %r4, 0
stxdw [%r4], %r6
mov %r0, 0
exit
