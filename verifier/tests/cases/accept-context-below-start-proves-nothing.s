# accept
# checked: 7 8
# `ctx - 1 < ctx + len` holds for every length, 0 included: it proves no byte present, and the
# accesses keep their run-time check.
mov %r3, %r1
add %r3, -1
mov %r4, %r1
add %r4, %r2
mov %r0, 0
jlt %r3, %r4, +1
exit
stb [%r1], 0x41
ldxb %r0, [%r1]
exit
