;; A stack access at an offset known only at run time: checked against the live stack (the
;; current frame and its callers'), not the context.
mov %r3, %r2
and %r3, 7
mov %r4, %r10
add %r4, -16
add %r4, %r3
stb [%r4+0], 1
mov %r0, 0
exit
