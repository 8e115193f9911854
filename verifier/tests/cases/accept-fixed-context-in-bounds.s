# accept
# context: fixed 16
# proven: 0
ldxdw %r0, [%r1+8]
exit
