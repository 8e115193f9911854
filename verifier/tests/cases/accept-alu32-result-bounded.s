# accept
# context: fixed 64
ldxdw %r2, [%r1]
and32 %r2, 31
add %r1, %r2
ldxdw %r0, [%r1]
exit
