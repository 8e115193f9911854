# accept
mov %r6, 5
call %r6
exit
