# accept
# context: fixed 64
# proven: 3
ldxdw %r2, [%r1]
and %r2, 0x38
add %r1, %r2
ldxdw %r0, [%r1]
exit
