# accept
# context: fixed 64
ldxb %r2, [%r1]
div %r2, 5
add %r1, %r2
ldxdw %r0, [%r1]
exit
