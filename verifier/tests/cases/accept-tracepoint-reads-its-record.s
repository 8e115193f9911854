# accept
# context: type tracepoint
ldxdw %r0, [%r1+8]
ldxw %r2, [%r1+16]
add %r0, %r2
exit
