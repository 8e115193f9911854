# accept
ldxb %r2, [%r1]
mov %r0, 0
jset %r2, 1, +1
mov %r4, 1
jset %r2, 2, +1
mov %r4, 1
jset %r2, 4, +1
mov %r4, 1
jset %r2, 8, +1
mov %r4, 1
jset %r2, 16, +1
mov %r4, 1
jset %r2, 32, +1
mov %r4, 1
jset %r2, 64, +1
mov %r4, 1
jset %r2, 128, +1
mov %r4, 1
jset %r2, 1, +1
mov %r4, 1
jset %r2, 2, +1
mov %r4, 1
jset %r2, 4, +1
mov %r4, 1
jset %r2, 8, +1
mov %r4, 1
jset %r2, 16, +1
mov %r4, 1
jset %r2, 32, +1
mov %r4, 1
jset %r2, 64, +1
mov %r4, 1
jset %r2, 128, +1
mov %r4, 1
jset %r2, 1, +1
mov %r4, 1
jset %r2, 2, +1
mov %r4, 1
jset %r2, 4, +1
mov %r4, 1
jset %r2, 8, +1
mov %r4, 1
jset %r2, 16, +1
mov %r4, 1
jset %r2, 32, +1
mov %r4, 1
jset %r2, 64, +1
mov %r4, 1
jset %r2, 128, +1
mov %r4, 1
jset %r2, 1, +1
mov %r4, 1
jset %r2, 2, +1
mov %r4, 1
jset %r2, 4, +1
mov %r4, 1
jset %r2, 8, +1
mov %r4, 1
jset %r2, 16, +1
mov %r4, 1
jset %r2, 32, +1
mov %r4, 1
jset %r2, 64, +1
mov %r4, 1
jset %r2, 128, +1
mov %r4, 1
jset %r2, 1, +1
mov %r4, 1
jset %r2, 2, +1
mov %r4, 1
jset %r2, 4, +1
mov %r4, 1
jset %r2, 8, +1
mov %r4, 1
jset %r2, 16, +1
mov %r4, 1
jset %r2, 32, +1
mov %r4, 1
jset %r2, 64, +1
mov %r4, 1
jset %r2, 128, +1
mov %r4, 1
exit
