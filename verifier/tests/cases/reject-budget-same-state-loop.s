# reject: insn 1: infinite loop
# termination: budget
# Under the budget policy too, a path that comes back in the same state makes no progress.
mov %r0, 0
loop:
mov %r1, 1
ja loop
