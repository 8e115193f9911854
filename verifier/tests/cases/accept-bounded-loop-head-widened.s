# accept
# bounded: 4
# steps: 3000
# A loop head the producer bounds (as the loader's expansion of bpf_loop): proven once for
# every iteration, even under the default policy and a small budget.
mov %r6, 0x7fffff
mov %r8, 0
mov %r0, 0
ja +0
loop:
jge %r8, %r6, out
add %r0, 1
add %r8, 1
ja loop
out:
exit
