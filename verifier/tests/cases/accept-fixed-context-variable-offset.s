# accept
# context: fixed 16
# proven: 3
ldxb %r2, [%r1]
and %r2, 7
add %r1, %r2
ldxb %r0, [%r1+8]
exit
