# accept
mov %r0, 0
mov %r1, 5
jne %r1, 5, +1
exit
ldxdw %r0, [%r9]
exit
