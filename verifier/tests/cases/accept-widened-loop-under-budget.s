# accept
# termination: budget
# steps: 5000
# The same loop widened: proven for any number of iterations in a few hundred steps.
mov %r0, 0
mov %r1, 0
loop:
add %r0, 3
add %r1, 1
jlt %r1, 100000, loop
exit
