# accept
# context: fixed 64
ldxdw %r2, [%r1]
jsge %r2, 57, +4
jsle %r2, -1, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
