# accept
# A helper writing raw memory at offsets not proven present: the call checks the argument
# against the context at run time.
add %r1, 8
mov %r2, 16
call 16
mov %r0, 0
exit
