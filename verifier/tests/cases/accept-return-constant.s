# accept
mov %r0, 42
exit
