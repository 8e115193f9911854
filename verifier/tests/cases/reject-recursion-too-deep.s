# reject: call nests deeper than 8 frames
mov %r0, 0
call local f
exit
f:
call local f
exit
