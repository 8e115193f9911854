# accept
mov %r1, 2
mov %r2, 3
call 1000
exit
