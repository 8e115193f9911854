# accept
# context: fixed 64
ldxsb %r2, [%r1]
add %r2, 128
rsh %r2, 3
add %r1, %r2
ldxdw %r0, [%r1]
exit
