# Sums the bytes of the memory passed in r1 (length in r2).
# oxbpf run examples/sum_bytes.s --mem-hex "01 02 03 04"   prints 0xa
    mov %r0, 0
    mov %r3, 0
    jeq %r2, 0, done
loop:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r5, [%r4]
    add %r0, %r5
    add %r3, 1
    jlt %r3, %r2, loop
done:
    exit
