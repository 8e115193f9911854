# accept
# context: fixed 64
ldxdw %r2, [%r1]
rsh %r2, 61
lsh %r2, 3
add %r1, %r2
ldxdw %r0, [%r1]
exit
