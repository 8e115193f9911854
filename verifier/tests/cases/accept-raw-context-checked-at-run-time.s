# accept
# checked: 0
ldxw %r0, [%r1+4]
exit
