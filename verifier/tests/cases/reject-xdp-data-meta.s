# reject: `data_meta` (metadata before the packet) is not supported
# context: type xdp
ldxw %r2, [%r1+8]
mov %r0, 2
exit
