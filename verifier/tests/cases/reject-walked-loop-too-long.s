# reject: program too complex
# steps: 5000
# Walked iteration by iteration (the default), 100,000 iterations exceed the budget.
mov %r0, 0
mov %r1, 0
loop:
add %r0, 3
add %r1, 1
jlt %r1, 100000, loop
exit
