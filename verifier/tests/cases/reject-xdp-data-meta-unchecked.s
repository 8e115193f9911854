# reject: the 0 metadata bytes proven present (compare with data first)
# context: type xdp
ldxw %r2, [%r1+8]
ldxb %r0, [%r2+0]
exit
