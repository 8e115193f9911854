# accept
# A host helper registered with a prototype of two numbers.
mov %r1, 2
mov %r2, 3
call 1000
exit
