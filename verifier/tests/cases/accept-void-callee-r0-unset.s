# accept
# A function returning nothing leaves r0 unset; its caller sets r0 itself.
call local f
mov %r0, 0
exit
f:
mov %r1, 0
exit
