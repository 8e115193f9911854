# accept
mov %r0, 0x1234
bswap16 %r0
exit
