# accept
# context: fixed 64
call local f
exit
f:
ldxdw %r0, [%r1+56]
exit
