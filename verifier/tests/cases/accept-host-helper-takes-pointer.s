# accept
mov %r1, %r10
call 1000
exit
