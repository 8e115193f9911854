# accept
# leaks
mov %r0, 0
jeq %r1, 7, +1
mov %r0, 1
exit
