# accept
mov %r1, 5
jeq %r1, 5, +1
exit
mov %r0, 1
exit
