# accept
# context: fixed 64
ldxdw %r2, [%r1]
mod %r2, 57
add %r1, %r2
ldxdw %r0, [%r1]
exit
