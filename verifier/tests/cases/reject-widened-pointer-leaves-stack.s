# reject: outside the stack frame
# termination: budget
# A pointer stepped down the stack until a byte of the context says stop: widened, it may leave
# the frame.
mov %r6, %r1
mov %r1, %r10
add %r1, -8
loop:
stdw [%r1], 0
add %r1, -8
ldxb %r2, [%r6]
jne %r2, 0, loop
mov %r0, 0
exit
