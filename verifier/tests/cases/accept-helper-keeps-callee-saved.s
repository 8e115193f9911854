# accept
mov %r6, 3
call 5
mov %r0, %r6
exit
