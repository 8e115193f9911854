# Counts the primes below 100 by trial division; prints 0x19 (25).
    mov %r0, 0              # count
    mov %r1, 2              # n
outer:
    mov %r2, 2              # d
inner:
    mov %r3, %r2
    mul %r3, %r2
    jgt %r3, %r1, prime     # d * d > n: n is prime
    mov %r4, %r1
    mod %r4, %r2
    jeq %r4, 0, next        # d divides n: not prime
    add %r2, 1
    ja inner
prime:
    add %r0, 1
next:
    add %r1, 1
    jlt %r1, 100, outer
    exit
