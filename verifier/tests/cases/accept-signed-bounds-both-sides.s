# accept
# context: fixed 64
ldxdw %r2, [%r1]
jsgt %r2, 56, +4
jslt %r2, 0, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
