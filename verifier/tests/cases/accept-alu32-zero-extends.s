# accept
mov %r0, -1
add32 %r0, 1
exit
