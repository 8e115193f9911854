# reject: `data` is accessed whole (4 bytes)
# context: type xdp
ldxh %r0, [%r1+0]
exit
