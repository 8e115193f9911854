# accept
# leaks
mov %r0, %r10
exit
