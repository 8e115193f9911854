# accept
# context: fixed 64
ldxh %r2, [%r1]
jsgt32 %r2, 56, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
